/**
 * What crosses between the main thread and an engine worker: request and reply shapes, errors
 * flattened to plain data and rebuilt as the same classes, and the one value fix-up structured
 * cloning needs (a Buffer arrives as a plain Uint8Array). bigint, Date, Uint8Array, nested
 * objects and arrays survive structured cloning unchanged. Imports only the error module.
 */
import {
  DatabaseError,
  DataError,
  FormatError,
  IntegrityError,
  InterfaceError,
  InternalError,
  LockError,
  ModelVaultError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
  QueryError,
  SchemaError,
  TransactionError,
  ValidationError,
} from '../errors';
import type { ErrorCode } from '../errors';
import type { SchemaPlan } from '../schema-versions';

export interface Request {
  id: number;
  op: string;
  args: unknown[];
  /** Date.now() after which the statement this request runs is interrupted (0: none). */
  deadline?: number;
  /** Set while the main thread has trace subscribers: report what the request traced. */
  trace?: true;
}

export type Reply = (
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError }
) & {
  trace?: WorkerTrace;
};

/** The channels whose worker-side traces the main thread publishes again (src/async/trace.ts). */
export type ForwardedChannel = 'commit' | 'checkpoint' | 'compact' | 'open';

/** One trace a worker published, as plain data: its context at `end`, and the traces nested in it. */
export interface TraceEvent {
  channel: ForwardedChannel;
  ctx: Record<string, unknown>;
  error?: WireError;
  children?: TraceEvent[];
}

/** What a worker traced while it ran one request. */
export interface WorkerTrace {
  /** What only the worker knows of the first statement or typed query the request ran. */
  query?: { statement: string | null; plan: string | null; rowsChanged: number | null };
  /** Commit, checkpoint, compact and open traces, in the order they started. */
  events?: TraceEvent[];
}

export interface WireError {
  name: string;
  message: string;
  code?: string;
  path?: string;
  sql?: string;
  offset?: number;
  stack?: string;
}

/** A batch of rows and whether the result set is exhausted. */
export interface Batch {
  rows: unknown[];
  done: boolean;
}

/** What a cursor execute() reports back. */
export interface ExecReply extends Batch {
  /** Whether the statement produced a result set (its rows stay on the worker until fetched). */
  hasRows: boolean;
  description: unknown[] | null;
  rowCount: number;
  lastRowId: number | bigint | null;
  /** ALTER TABLE: the schema-version plan it applied (Cursor.schemaPlan). */
  schemaPlan: SchemaPlan | null;
  inTransaction: boolean;
}

/** The AsyncDatabase writes that may share one commit with those queued behind them (group commit). */
export const GROUPED_WRITES: ReadonlySet<string> = new Set(['insert', 'delete']);

/** One write of a group commit (the worker's dbGroup): its value, or the error it failed with alone. */
export type GroupOutcome = { ok: true; value: unknown } | { ok: false; error: WireError };

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; path?: unknown; sql?: unknown; offset?: unknown };
    return {
      name: err.name,
      message: err.message,
      code: typeof e.code === 'string' ? e.code : undefined,
      path: typeof e.path === 'string' ? e.path : undefined,
      sql: typeof e.sql === 'string' ? e.sql : undefined,
      offset: typeof e.offset === 'number' ? e.offset : undefined,
      stack: err.stack,
    };
  }
  return { name: 'Error', message: String(err) };
}

type Details = { path?: string; sql?: string; offset?: number };
const BUILDERS: Record<string, (m: string, c: ErrorCode | undefined, d: Details) => ModelVaultError> = {
  InterfaceError: (m, c, d) => new InterfaceError(m, c, d),
  DatabaseError: (m, c, d) => new DatabaseError(m, c, d),
  DataError: (m, c, d) => new DataError(m, c, d),
  ValidationError: (m, c, d) => new ValidationError(m, d.path ?? '', c),
  OperationalError: (m, c, d) => new OperationalError(m, c, d),
  TransactionError: (m, c, d) => new TransactionError(m, c, d),
  LockError: (m, c, d) => new LockError(m, d, c === 'LOCK_LOST' ? 'LOCK_LOST' : 'LOCKED'),
  IntegrityError: (m, c, d) => new IntegrityError(m, c, d),
  InternalError: (m, c, d) => new InternalError(m, c, d),
  ProgrammingError: (m, c, d) => new ProgrammingError(m, c, d),
  SchemaError: (m, c, d) => new SchemaError(m, c, d),
  QueryError: (m, c, d) => new QueryError(m, c, d),
  NotSupportedError: (m, c, d) => new NotSupportedError(m, c, d),
  FormatError: (m, c, d) => new FormatError(m, c, d),
  ModelVaultError: (m, c, d) => new ModelVaultError(m, c, d),
};

/**
 * The same error class and code the sync API would have thrown, created on this thread (so
 * `instanceof` works). Anything that is not a ModelVault error is a bug in the worker: InternalError.
 */
export function fromWireError(w: WireError): Error {
  const build = BUILDERS[w.name];
  const details: Details = {};
  if (w.path !== undefined) details.path = w.path;
  if (w.sql !== undefined) details.sql = w.sql;
  if (w.offset !== undefined) details.offset = w.offset;
  const err = build
    ? build(w.message, w.code as ErrorCode | undefined, details)
    : new InternalError(`worker failed: ${w.name}: ${w.message}`, 'INTERNAL');
  if (w.stack) err.stack = `${err.stack ?? ''}\n    --- in the engine worker ---\n${w.stack}`;
  return err;
}

/**
 * Structured cloning turns a Buffer into a plain Uint8Array; the sync API hands out Buffers, so
 * turn them back (a view over the same memory, no copy). Dates are re-created on this side: the
 * clone is built in the main context, which is not the caller's when it runs in a `vm` context
 * (jest), and `instanceof Date` must hold there too. Type checks therefore use internal slots
 * (`ArrayBuffer.isView`, `Object.prototype.toString`), which work across contexts.
 */
const TAG = Object.prototype.toString;

export function restoreBuffers(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) {
    if (Buffer.isBuffer(v)) return v;
    return v instanceof Uint8Array || TAG.call(v) === '[object Uint8Array]'
      ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
      : v;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object') v[i] = restoreBuffers(x);
    }
    return v;
  }
  const tag = TAG.call(v);
  if (tag === '[object Date]') return v instanceof Date ? v : new Date((v as Date).getTime());
  if (tag === '[object Object]') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const x = o[k];
      if (x !== null && typeof x === 'object') {
        const y = restoreBuffers(x);
        if (y !== x)
          Object.defineProperty(o, k, { value: y, writable: true, enumerable: true, configurable: true });
      }
    }
  }
  return v;
}
