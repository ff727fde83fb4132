/**
 * OpenTelemetry for ModelVault: turn the library's diagnostics channels into spans with
 * `@opentelemetry/api`. `instrument(tracer)` subscribes to the five channels and returns the
 * function that unsubscribes. Spans nest the way the calls do: the commit an autocommit INSERT
 * makes is a child of the INSERT's span. Attribute names follow OpenTelemetry's database
 * conventions where one fits (`db.query.text`, `db.operation.name`, ...).
 *
 * Run it: `npm run build && node dist/examples/otel/index.js` prints the spans of a short session.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { connect } from '../../src/index';
import type {
  CheckpointTraceContext,
  CommitTraceContext,
  CompactTraceContext,
  OpenTraceContext,
  QueryTraceContext,
} from '../../src/index';
import { InMemoryTracer } from './memory-tracer';

type Name = 'query' | 'commit' | 'checkpoint' | 'compact' | 'open';

interface Mapping<C> {
  /** Span name from the context at `end` (the statement kind is known only then). */
  name(ctx: C): string;
  attributes(ctx: C): Attributes;
  /** true: the span stays open after `end` until asyncEnd (a SQL result set being read). */
  streams?(ctx: C): boolean;
}

function defined(attrs: Record<string, string | number | boolean | null | undefined>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

const MAPPINGS: { [K in Name]: Mapping<ContextOf<K>> } = {
  query: {
    name: (c) => `modelvault ${c.statement ?? 'query'}${c.collection ? ` ${c.collection}` : ''}`,
    attributes: (c) =>
      defined({
        'db.system.name': 'modelvault',
        'db.query.text': c.sql,
        'db.operation.name': c.statement,
        'db.collection.name': c.collection,
        'modelvault.plan': c.plan,
        'db.response.returned_rows': c.rows,
        'modelvault.rows_changed': c.rowsChanged,
        'modelvault.complete': c.complete,
      }),
    streams: (c) => c.streaming,
  },
  commit: {
    name: () => 'modelvault commit',
    attributes: (c) =>
      defined({
        'db.system.name': 'modelvault',
        'modelvault.txn_id': c.txnId,
        'modelvault.bytes': c.bytes,
        'modelvault.frames': c.frames,
      }),
  },
  checkpoint: {
    name: () => 'modelvault checkpoint',
    attributes: (c) =>
      defined({
        'db.system.name': 'modelvault',
        'modelvault.txn_id': c.txnId,
        'modelvault.log_bytes': c.logBytes,
        'modelvault.bytes': c.bytes,
      }),
  },
  compact: {
    name: (c) => `modelvault compact ${c.mode}`,
    attributes: (c) =>
      defined({
        'db.system.name': 'modelvault',
        'modelvault.dest': c.dest,
        'modelvault.bytes_before': c.bytesBefore,
        'modelvault.bytes_after': c.bytesAfter,
      }),
  },
  open: {
    name: () => 'modelvault open',
    attributes: (c) =>
      defined({
        'db.system.name': 'modelvault',
        'db.namespace': c.path,
        'modelvault.read_only': c.readOnly,
        'modelvault.bytes': c.bytes,
        'modelvault.last_txn_id': c.lastTxnId,
        'modelvault.recovery.used_checkpoint': c.recovery?.usedCheckpoint,
        'modelvault.recovery.truncated_from': c.recovery?.truncatedFrom,
        'modelvault.recovery.reason': c.recovery?.reason,
      }),
  },
};

type ContextOf<K extends Name> = {
  query: QueryTraceContext;
  commit: CommitTraceContext;
  checkpoint: CheckpointTraceContext;
  compact: CompactTraceContext;
  open: OpenTraceContext;
}[K];

function fail(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (err as { code?: unknown }).code;
  span.setAttribute('error.type', typeof code === 'string' ? code : err.name);
}

/** Subscribe `tracer` to ModelVault's channels; returns the function that unsubscribes. */
export function instrument(tracer: Tracer = trace.getTracer('modelvault')): () => void {
  const spans = new WeakMap<object, Span>();
  // The synchronous calls in progress, innermost last: a span started inside another is its child.
  const stack: Span[] = [];
  const undo: (() => void)[] = [];

  const wire = <K extends Name>(name: K): void => {
    const map = MAPPINGS[name] as Mapping<ContextOf<K>>;
    const handlers = {
      start(message: unknown): void {
        const ctx = message as ContextOf<K>;
        const parent = stack[stack.length - 1];
        const active = parent ? trace.setSpan(otelContext.active(), parent) : otelContext.active();
        const span = tracer.startSpan(`modelvault ${name}`, { kind: SpanKind.CLIENT }, active);
        spans.set(ctx, span);
        stack.push(span);
      },
      end(message: unknown): void {
        const ctx = message as ContextOf<K>;
        const span = spans.get(ctx);
        if (!span) return;
        const at = stack.lastIndexOf(span);
        if (at >= 0) stack.splice(at, 1);
        span.updateName(map.name(ctx));
        span.setAttributes(map.attributes(ctx));
        if (ctx.error === undefined && map.streams?.(ctx)) return; // ends at asyncEnd
        spans.delete(ctx);
        span.end();
      },
      asyncStart(): void {},
      asyncEnd(message: unknown): void {
        const ctx = message as ContextOf<K>;
        const span = spans.get(ctx);
        if (!span) return;
        spans.delete(ctx);
        span.setAttributes(map.attributes(ctx));
        span.end();
      },
      error(message: unknown): void {
        const ctx = message as ContextOf<K>;
        const span = spans.get(ctx);
        if (span) fail(span, ctx.error);
      },
    };
    const ch = diagnostics.tracingChannel(`modelvault:${name}`);
    ch.subscribe(handlers);
    undo.push(() => ch.unsubscribe(handlers));
  };
  for (const name of Object.keys(MAPPINGS) as Name[]) wire(name);
  return () => {
    for (const u of undo) u();
  };
}

/** A short session traced into the in-memory tracer; returns the spans, printed when run directly. */
export function demo(path = ':memory:'): InMemoryTracer {
  const tracer = new InMemoryTracer();
  const stop = instrument(tracer);
  try {
    const conn = connect(path, { autocommit: true });
    conn.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)');
    conn.execute('INSERT INTO users VALUES (?, ?)', [1, 'ada@example.com']);
    conn.execute('SELECT email FROM users WHERE id = ?', [1]).fetchAll();
    try {
      conn.execute('INSERT INTO users VALUES (?, ?)', [1, 'again@example.com']);
    } catch {
      // the duplicate key shows as a span with an error status
    }
    conn.close();
  } finally {
    stop();
  }
  return tracer;
}

if (require.main === module) {
  for (const s of demo().finished) {
    const status = s.status.code === SpanStatusCode.ERROR ? ` ERROR ${s.status.message ?? ''}` : '';
    console.log(`${s.name}${status} ${JSON.stringify(s.attributes)}`);
  }
}
