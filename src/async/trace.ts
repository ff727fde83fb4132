/**
 * Main-thread side of async tracing (docs/ops/debugging.md "Async API"). Statements run in worker
 * threads, whose diagnostics channels main-thread subscribers cannot see. So:
 * - the main thread publishes `modelvault:query` itself around each async statement and typed
 *   query: `start` when the caller issues it (inside the caller's async context, so a
 *   subscriber's bound store — an OpenTelemetry parent span — is the caller's), `end` at once,
 *   `asyncStart`/`asyncEnd` when its outcome is known; the worker adds what only it knows
 *   (statement kind, plan summary, rows changed: src/async/worker-trace.ts);
 * - commit, checkpoint, compact and open traces happen inside the worker's engine; the worker
 *   reports them with the reply and they are published here again, nested as they ran, when the
 *   reply arrives.
 * Publishing around the request (rather than forwarding the worker's query events) gives spans
 * the caller's timing and async context, which forwarded events arriving later could not have.
 * With no subscriber anywhere, requests carry no trace flag and workers stay unsubscribed.
 */
import { active, channels } from '../../storage/trace';
import type { QueryTraceContext } from '../../storage/trace';
import { fromWireError } from './protocol';
import type { TraceEvent, WorkerTrace } from './protocol';

/** Whether a main-thread subscriber listens on any ModelVault channel (then requests ask workers to report). */
export function tracing(): boolean {
  return (
    active(channels.query) ||
    active(channels.commit) ||
    active(channels.checkpoint) ||
    active(channels.compact) ||
    active(channels.open)
  );
}

/** Publish on this thread the traces a worker reported (start, nested traces, error, end). */
export function republish(events: readonly TraceEvent[]): void {
  for (const e of events) {
    const ch = channels[e.channel] as typeof channels.commit;
    const ctx = e.ctx as unknown as Parameters<typeof ch.start.publish>[0] & { error?: unknown };
    ch.start.publish(ctx);
    if (e.children) republish(e.children);
    if (e.error) {
      ctx.error = fromWireError(e.error);
      ch.error.publish(ctx);
    }
    ch.end.publish(ctx);
  }
}

/** A query context for an async statement, or null when nobody listens on `modelvault:query`. */
export function queryContext(
  sql: string | null,
  collection: string | null,
  statement: string | null,
): QueryTraceContext | null {
  if (!active(channels.query)) return null;
  // streaming: the outcome of every async statement is known at asyncEnd, never at end.
  return {
    sql,
    collection,
    statement,
    plan: null,
    streaming: true,
    rows: null,
    rowsChanged: null,
    complete: false,
  };
}

/** Fill in what the worker reported of the statement (the first report wins: it ran it). */
export function absorb(ctx: QueryTraceContext, trace: WorkerTrace['query']): void {
  if (!trace) return;
  ctx.statement ??= trace.statement;
  ctx.plan ??= trace.plan;
  if (trace.rowsChanged !== null) ctx.rowsChanged = trace.rowsChanged;
}

/**
 * Publish `start`, run `issue` (which sends the statement's first request) inside the start
 * event's stores, then `end`. When its promise settles, inside those stores too (as
 * TracingChannel.tracePromise does): a rejection publishes error, asyncStart, asyncEnd; a value
 * does when `finished(value)` says the outcome is known (it may fill in `rows`) — else the trace
 * stays open until finishTrace() (a result set still being read).
 */
export function startTrace<T>(
  ctx: QueryTraceContext,
  issue: () => Promise<T>,
  finished: (value: T) => boolean,
): Promise<T> {
  const ch = channels.query;
  const go = (): Promise<T> => {
    const p = issue().then(
      (value) => {
        if (finished(value)) finishTrace(ctx, true);
        return value;
      },
      (err: unknown) => {
        failTrace(ctx, err);
        throw err;
      },
    );
    ch.end.publish(ctx);
    return p;
  };
  return ch.start.runStores(ctx, go);
}

/** The statement's outcome is known: asyncStart, asyncEnd. */
export function finishTrace(ctx: QueryTraceContext, complete: boolean): void {
  ctx.complete = complete;
  channels.query.asyncStart.publish(ctx);
  channels.query.asyncEnd.publish(ctx);
}

/** The statement failed: error, then asyncStart, asyncEnd. */
export function failTrace(ctx: QueryTraceContext, err: unknown): void {
  ctx.error = err;
  channels.query.error.publish(ctx);
  finishTrace(ctx, false);
}
