/**
 * Worker side of async tracing: diagnostics channels are per thread, so what the engine traces in
 * a worker is invisible to main-thread subscribers. While the main thread has subscribers it marks
 * its requests (`trace`), and for those this module listens on the worker's own channels and
 * hands back, with the reply, what only the worker knows: the statement kind, plan summary and
 * rows changed of the statement the request ran, and the commit / checkpoint / compact / open
 * traces it caused. For unmarked requests it is unsubscribed, so the engine's publishers see no
 * subscriber and pay nothing.
 */
import { channels } from '../../storage/trace';
import type { QueryTraceContext } from '../../storage/trace';
import { toWireError } from './protocol';
import type { ForwardedChannel, TraceEvent, WorkerTrace } from './protocol';

interface Open {
  event: TraceEvent;
  source: object;
}

interface Capture {
  query: QueryTraceContext | null;
  roots: Open[];
  stack: Open[];
  all: Open[];
}

let capture: Capture | null = null;
let subscribed = false;

interface Handlers {
  start(message: unknown): void;
  end(message: unknown): void;
  asyncStart(): void;
  asyncEnd(): void;
  error(): void;
}

const queryHandlers: Handlers = {
  start(message: unknown): void {
    if (capture && capture.query === null) capture.query = message as QueryTraceContext;
  },
  end(): void {},
  asyncStart(): void {},
  asyncEnd(): void {},
  error(): void {},
};

function forwarding(channel: ForwardedChannel): Handlers {
  return {
    start(message: unknown): void {
      if (!capture) return;
      const open: Open = { event: { channel, ctx: {} }, source: message as object };
      const parent = capture.stack[capture.stack.length - 1];
      if (parent) (parent.event.children ??= []).push(open.event);
      else capture.roots.push(open);
      capture.stack.push(open);
      capture.all.push(open);
    },
    end(message: unknown): void {
      if (!capture) return;
      const at = capture.stack.findIndex((o) => o.source === message);
      if (at >= 0) capture.stack.splice(at, 1);
    },
    asyncStart(): void {},
    asyncEnd(): void {},
    error(): void {},
  };
}

const FORWARDED: readonly ForwardedChannel[] = ['commit', 'checkpoint', 'compact', 'open'];
const forwarders = FORWARDED.map((name) => ({ name, handlers: forwarding(name) }));

function subscribe(on: boolean): void {
  if (on === subscribed) return;
  subscribed = on;
  if (on) {
    channels.query.subscribe(queryHandlers);
    for (const f of forwarders) channels[f.name].subscribe(f.handlers);
  } else {
    channels.query.unsubscribe(queryHandlers);
    for (const f of forwarders) channels[f.name].unsubscribe(f.handlers);
  }
}

/** Before a request runs: capture its traces when the main thread asked (else stop listening). */
export function beginCapture(wanted: boolean): void {
  subscribe(wanted);
  capture = wanted ? { query: null, roots: [], stack: [], all: [] } : null;
}

/** After the request: what it traced, as plain data for the reply (undefined when not capturing). */
export function endCapture(): WorkerTrace | undefined {
  const c = capture;
  capture = null;
  if (!c) return undefined;
  const out: WorkerTrace = {};
  if (c.query)
    out.query = { statement: c.query.statement, plan: c.query.plan, rowsChanged: c.query.rowsChanged };
  // Contexts are filled in while their call runs: copy them now that every one has ended.
  for (const open of c.all) {
    const { error, ...rest } = open.source as Record<string, unknown>;
    open.event.ctx = rest;
    if (error !== undefined) open.event.error = toWireError(error);
  }
  if (c.roots.length > 0) out.events = c.roots.map((o) => o.event);
  return out;
}
