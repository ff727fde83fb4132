/**
 * What the settings PRAGMAs answer about how ModelVault stores data (docs/sql.md, "Introspection").
 * `integrity_check` and `quick_check` run the checks of `modelvault verify` (src/cli/check-file.ts)
 * on the file's committed state.
 * `journal_mode`: a file database is an append-only log that readers see committed snapshots of
 * while a writer appends, which is SQLite's WAL in effect; an in-memory one is `memory`.
 */
import { NotSupportedError } from '../src/errors';
import { verifyDatabaseFile } from '../src/cli/check-file';

const JOURNAL_MODES: ReadonlySet<string> = new Set(['delete', 'truncate', 'persist', 'memory', 'wal', 'off']);

/**
 * The mode `PRAGMA journal_mode [= requested]` answers. Like SQLite, an in-memory database stays
 * `memory` whatever is asked and an unknown mode name changes nothing; asking a file database for
 * another real mode is refused rather than silently ignored.
 */
export function journalMode(inMemory: boolean, requested: string | null): string {
  const current = inMemory ? 'memory' : 'wal';
  if (requested === null || inMemory || !JOURNAL_MODES.has(requested) || requested === current)
    return current;
  throw new NotSupportedError(
    `PRAGMA journal_mode = ${requested}: a ModelVault file is always an append-only log (journal_mode = wal)`,
    'NOT_SUPPORTED',
  );
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
