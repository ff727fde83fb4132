/**
 * What the settings PRAGMAs answer about how ModelVault stores data (docs/sql.md, "Introspection").
 * `journal_mode`: a file database is an append-only log that readers see committed snapshots of
 * while a writer appends, which is SQLite's WAL in effect; an in-memory one is `memory`.
 */
import { NotSupportedError } from '../src/errors';

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
