/**
 * The diagnostics channels ModelVault publishes on (node:diagnostics_channel TracingChannels).
 * Defined here, at the bottom of the layers, because the storage engine publishes commits,
 * checkpoints and opens; the connection (cursor/) and the typed query builder (src/) publish
 * queries. Publishers test `active(channel)` first, so with nobody subscribed a traced call costs
 * one property read and a branch.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { TracingChannel } from 'node:diagnostics_channel';

/** Context of `modelvault:query`: one SQL statement or one typed query. */
export interface QueryTraceContext {
  /** The SQL text; null for a typed query (Query builder). */
  sql: string | null;
  /** The typed query's collection; null for SQL. */
  collection: string | null;
  /** Statement kind (select, insert, create_table, ...; typed: all, first, count, aggregate). Null if it failed to parse. */
  statement: string | null;
  /** First line of the plan (EXPLAIN's root node) for queries that read rows; null otherwise. */
  plan: string | null;
  /** Present only when the connection was opened with `traceParams: true`. */
  params?: unknown;
  /**
   * true for a SQL result set (SELECT, EXPLAIN, PRAGMA reads, RETURNING), read after `end`: its
   * `rows` is set, and asyncStart/asyncEnd published, when the result is finished. false: all is
   * known at `end` (writes, DDL, typed queries, which read their rows inside the call).
   */
  streaming: boolean;
  /** Rows returned (rows fetched when the result was finished); null until known. */
  rows: number | null;
  /** Rows inserted, updated or deleted by DML; null for other statements. */
  rowsChanged: number | null;
  /** false when the cursor re-executed or closed before the result was read to its end. */
  complete: boolean;
  /** Set by the channel when the statement (or a fetch from its result) threw. */
  error?: unknown;
}

/** Context of `modelvault:commit`. */
export interface CommitTraceContext {
  /** The database file; null in memory. */
  path: string | null;
  txnId: number | null;
  /** Bytes appended to the log (0 for an empty transaction, which writes nothing). */
  bytes: number;
  /** Frames appended, the commit frame included (0 for an empty transaction). */
  frames: number;
  error?: unknown;
}

/** Context of `modelvault:checkpoint`. */
export interface CheckpointTraceContext {
  path: string | null;
  /** The last committed transaction the checkpoint covers. */
  txnId: number;
  /** Log bytes since the previous checkpoint (what the next open no longer replays). */
  logBytes: number;
  /** Size of the checkpoint frame written. */
  bytes: number;
  /** A light checkpoint (primary-key trees only; the secondary indexes lag: docs/format.md §4.5). */
  light: boolean;
  error?: unknown;
}

/** Context of `modelvault:compact`. */
export interface CompactTraceContext {
  /** The source database file; null in memory. */
  path: string | null;
  /** 'inPlace' (compact()), 'file' (compactTo/backup), 'bytes' (snapshotBytes). */
  mode: 'inPlace' | 'file' | 'bytes';
  /** Destination path for 'file'; null otherwise. */
  dest: string | null;
  bytesBefore: number;
  /** Size of the compacted copy; null until it is written. */
  bytesAfter: number | null;
  error?: unknown;
}

/** What recovery did, in brief (Database.recoveryReport has the details). */
export interface OpenRecoverySummary {
  usedCheckpoint: boolean;
  truncatedFrom: number | null;
  reason: string | null;
  committedAfter: number | null;
  rebuiltIndexes: number;
  rejectedSuperblocks: number;
}

/** Context of `modelvault:open`: an engine opening a file (or memory) and recovering it. */
export interface OpenTraceContext {
  path: string | null;
  readOnly: boolean;
  /** File size after recovery; null until opened. */
  bytes: number | null;
  lastTxnId: number | null;
  recovery: OpenRecoverySummary | null;
  error?: unknown;
}

export const channels: {
  readonly query: TracingChannel<unknown, QueryTraceContext>;
  readonly commit: TracingChannel<unknown, CommitTraceContext>;
  readonly checkpoint: TracingChannel<unknown, CheckpointTraceContext>;
  readonly compact: TracingChannel<unknown, CompactTraceContext>;
  readonly open: TracingChannel<unknown, OpenTraceContext>;
} = Object.freeze({
  query: tracingChannel<unknown, QueryTraceContext>('modelvault:query'),
  commit: tracingChannel<unknown, CommitTraceContext>('modelvault:commit'),
  checkpoint: tracingChannel<unknown, CheckpointTraceContext>('modelvault:checkpoint'),
  compact: tracingChannel<unknown, CompactTraceContext>('modelvault:compact'),
  open: tracingChannel<unknown, OpenTraceContext>('modelvault:open'),
});

/** Node versions before 20.13 lack TracingChannel.hasSubscribers: ask the five sub-channels then. */
const NATIVE_HAS_SUBSCRIBERS =
  typeof (channels.query as { hasSubscribers?: unknown }).hasSubscribers === 'boolean';

/** Whether anyone listens on `ch` (the only cost tracing adds when nobody does). */
export function active<C extends object>(ch: TracingChannel<unknown, C>): boolean {
  if (NATIVE_HAS_SUBSCRIBERS) return ch.hasSubscribers;
  return (
    ch.start.hasSubscribers ||
    ch.end.hasSubscribers ||
    ch.asyncStart.hasSubscribers ||
    ch.asyncEnd.hasSubscribers ||
    ch.error.hasSubscribers
  );
}

/**
 * The plan summary of a query context: EXPLAIN's node kinds in plan order, access nodes with their
 * collection ("Project > PrimaryKeyLookup users"). Kinds and names only: EXPLAIN lines may show
 * literal values, which a trace must not carry unless asked to.
 */
export function planSummary(lines: readonly string[]): string | null {
  if (lines.length === 0) return null;
  const parts: string[] = [];
  for (const line of lines) {
    const words = line.trim().split(' ');
    const kind = words[0];
    parts.push(/(Scan|Lookup)$/.test(kind) && words.length > 1 ? `${kind} ${words[1]}` : kind);
  }
  return parts.join(' > ');
}
