/**
 * The channel's park protocol (src/async/channel.ts) driven from one thread, so orderings that
 * two threads produce only rarely can be set up on purpose.
 */
import { MainChannel, WorkerChannel } from '../../src/async/channel';
import type { FastRequest } from '../../src/async/channel';
import type { Reply } from '../../src/async/protocol';

function ok(req: FastRequest): Reply {
  return { id: req.id, ok: true, value: req.args };
}

test('a message the event loop delivered before the main thread counted it does not end the park', () => {
  const main = new MainChannel();
  const worker = new WorkerChannel(main.buffer);
  // The worker thread received a posted message before the main thread's count went up.
  worker.countMessage();
  expect(main.send({ id: 7, op: 'exec', args: ['x'], deadline: 0 })).toBe(true);
  const served: number[] = [];
  worker.park(
    (req) => {
      served.push(req.id);
      // The main thread's count catches up, then another message comes: now the park must end.
      main.posted();
      main.posted();
      return ok(req);
    },
    () => undefined,
  );
  // The request written while the count lagged was served, not left waiting for a park that never came.
  expect(served).toEqual([7]);
  expect(main.answered).toBe(true);
  expect(main.reply()).toEqual({ ok: true, value: ['x'] });
});

test('a posted message not yet received ends the park before a waiting request is served', () => {
  const main = new MainChannel();
  const worker = new WorkerChannel(main.buffer);
  main.posted();
  main.send({ id: 1, op: 'exec', args: [], deadline: 0 });
  const served: number[] = [];
  worker.park(
    (req) => {
      served.push(req.id);
      return ok(req);
    },
    () => undefined,
  );
  expect(served).toEqual([]);
  // Once the message is received, the next park serves the request.
  worker.countMessage();
  worker.park(
    (req) => {
      served.push(req.id);
      main.posted();
      return ok(req);
    },
    () => undefined,
  );
  expect(served).toEqual([1]);
});
