/**
 * The settings PRAGMAs a connection runs (parser/lower-pragma.ts decides which exist), answering
 * about how ModelVault stores data (docs/sql.md, "Introspection").
 * `integrity_check` and `quick_check` run the checks of `modelvault verify` (src/cli/check-file.ts)
 * on the file's committed state.
 * `journal_mode`: a file database is an append-only log that readers see committed snapshots of
 * while a writer appends, which is SQLite's WAL in effect; an in-memory one is `memory`.
 * Tuning PRAGMAs (`cache_size`, `busy_timeout`, …) are remembered per connection and read back.
 */
import { verifyDatabaseFile } from '../src/cli/check-file';
import { dataVersion, foreignKeysEnabled, setForeignKeys } from '../src/database';
import type { Database } from '../src/database';
import type { PragmaStmt } from '../parser/ir';
import type { ConnectOptions } from './options';

/** Bytes of the row cache when `cacheBytes` is not given (src/options.ts). */
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** The tuning PRAGMAs one connection has set, and what two of them start at there. */
export class PragmaValues {
  private readonly set = new Map<string, number | string>();
  private readonly initial: ReadonlyMap<string, number>;

  constructor(opts: ConnectOptions) {
    // What this connection really runs with, in SQLite's units: a negative cache_size is KiB.
    this.initial = new Map([
      ['cache_size', -Math.round((opts.cacheBytes ?? DEFAULT_CACHE_BYTES) / 1024)],
      ['busy_timeout', opts.busyTimeoutMs ?? 0],
    ]);
  }

  read(name: string, fallback: number | string): number | string {
    return this.set.get(name) ?? this.initial.get(name) ?? fallback;
  }

  write(name: string, value: number | string): void {
    this.set.set(name, value);
  }
}

/**
 * Run a settings PRAGMA: its rows, or null for a statement that answers none (a setting set).
 */
export function runPragma(
  db: Database,
  values: PragmaValues,
  session: { caseSensitiveLike: boolean },
  stmt: PragmaStmt,
): unknown[][] | null {
  switch (stmt.name) {
    case 'case_sensitive_like':
      if (typeof stmt.value === 'number') session.caseSensitiveLike = stmt.value !== 0;
      return null;
    case 'integrity_check':
    case 'quick_check':
      return integrityRows(db.storage.path, typeof stmt.value === 'number' ? stmt.value : 100);
    case 'user_version':
      return [[db.readView().userVersion]];
    case 'foreign_keys':
      // The connection's handle holds the switch (on by default, unlike SQLite); inside a
      // transaction setting it does nothing, as in SQLite.
      if (typeof stmt.value === 'number') {
        setForeignKeys(db, stmt.value !== 0);
        return null;
      }
      return [[foreignKeysEnabled(db) ? 1 : 0]];
    case 'journal_mode':
      return [[journalMode(db.storage.path === null)]];
    case 'synchronous':
      return stmt.value !== null ? null : [[2]];
    case 'database_list':
      return [[0, 'main', db.storage.path ?? '']];
    case 'wal_checkpoint':
      return [walCheckpoint(db)];
    case 'data_version':
      return [[dataVersion(db)]];
    case 'tuning': {
      const name = stmt.pragma ?? '';
      const tuning = stmt.tuning ?? { initial: 0, echo: false };
      if (stmt.value === null) return [[values.read(name, tuning.initial)]];
      values.write(name, stmt.value);
      return tuning.echo ? [[stmt.value]] : null;
    }
    case 'rows':
      // No columns: a statement with no result set, as SQLite answers a set or an unknown PRAGMA.
      return stmt.columns.length === 0 ? null : (stmt.rows ?? []).map((r) => [...r]);
  }
}

/**
 * `PRAGMA wal_checkpoint`: a checkpoint of the log (SQLite's columns busy, log, checkpointed: 0,
 * 0, 0 when it ran and left no log to replay); busy (1, -1, -1) inside a transaction or on a
 * read-only connection, which cannot checkpoint; in memory there is no log (0, -1, -1).
 */
function walCheckpoint(db: Database): unknown[] {
  if (db.storage.path === null) return [0, -1, -1];
  if (db.inTransaction || db.storage.readOnly) return [1, -1, -1];
  db.checkpoint();
  return [0, 0, 0];
}

/**
 * The mode `PRAGMA journal_mode [= requested]` answers: `wal` for a file, `memory` in memory,
 * whatever is asked (SQLite answers a mode it cannot switch to with the mode in force).
 */
export function journalMode(inMemory: boolean): string {
  // The log is the file's format: no other mode can be switched to.
  return inMemory ? 'memory' : 'wal';
}

/**
 * `PRAGMA integrity_check` rows: `ok`, or at most `limit` problems (SQLite's default is 100), each
 * with the offset it was found at. Every frame's checksum, each checkpoint against a replay of the
 * whole log, and every index against the rows are checked, as `modelvault verify` does; what is
 * checked is the file as committed (a transaction still open is not in it). An in-memory database
 * has no file to damage: `ok`.
 */
export function integrityRows(path: string | null, limit: number): unknown[][] {
  if (path === null) return [['ok']];
  const problems = verifyDatabaseFile(path).problems;
  if (problems.length === 0) return [['ok']];
  return problems
    .slice(0, limit > 0 ? limit : problems.length)
    .map((p) => [p.offset === null ? p.reason : `${p.reason} (offset ${p.offset})`]);
}
