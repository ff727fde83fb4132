/** The `modelvault:checkpoint` trace contexts of every checkpoint `fn` writes, in order. */
import * as diagnostics from 'node:diagnostics_channel';
import type { CheckpointTraceContext } from '../../storage/trace';

export function checkpointsDuring(fn: () => void): CheckpointTraceContext[] {
  const seen: CheckpointTraceContext[] = [];
  const none = (): void => undefined;
  const handlers = {
    start: none,
    end: (ctx: unknown) => {
      seen.push(ctx as CheckpointTraceContext);
    },
    asyncStart: none,
    asyncEnd: none,
    error: none,
  };
  const ch = diagnostics.tracingChannel('modelvault:checkpoint');
  ch.subscribe(handlers);
  try {
    fn();
  } finally {
    ch.unsubscribe(handlers);
  }
  return seen;
}
