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

test('a request waiting in the channel is served before a posted message ends the park', () => {
  // The main thread writes a request only while nothing else is in flight, so a message posted
  // beside a waiting request was posted after it: the request runs first, then the park ends.
  const main = new MainChannel();
  const worker = new WorkerChannel(main.buffer);
  main.send({ id: 1, op: 'exec', args: [], deadline: 0 });
  main.posted();
  const served: number[] = [];
  const record = (req: FastRequest): Reply => {
    served.push(req.id);
    return ok(req);
  };
  worker.park(record, () => undefined);
  expect(served).toEqual([1]);
  expect(main.answered).toBe(true);
  // The message is still to be received: the next park ends at once, serving nothing.
  worker.park(record, () => undefined);
  expect(served).toEqual([1]);
  // Received: the next request is served; a message posted while it runs ends the park after it.
  worker.countMessage();
  main.reply();
  main.send({ id: 2, op: 'exec', args: [], deadline: 0 });
  worker.park(
    (req) => {
      served.push(req.id);
      main.posted();
      return ok(req);
    },
    () => undefined,
  );
  expect(served).toEqual([1, 2]);
});

test('serveWaiting serves the waiting request once, and nothing when none waits', () => {
  const main = new MainChannel();
  const worker = new WorkerChannel(main.buffer);
  const served: number[] = [];
  const run = (req: FastRequest): Reply => {
    served.push(req.id);
    return ok(req);
  };
  expect(worker.serveWaiting(run, () => undefined)).toBe(false);
  main.send({ id: 7, op: 'exec', args: [], deadline: 0 });
  expect(worker.serveWaiting(run, () => undefined)).toBe(true);
  expect(worker.serveWaiting(run, () => undefined)).toBe(false);
  expect(served).toEqual([7]);
  expect(main.reply()).toEqual({ ok: true, value: [] });
});
