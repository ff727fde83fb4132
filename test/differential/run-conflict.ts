/**
 * Runs a conflict-resolution case (generate-conflict.ts) on ModelVault (DB-API cursor,
 * autocommit, so that only BEGIN opens a transaction, as in better-sqlite3) and on better-sqlite3,
 * and throws at the first difference. After every statement it compares the outcome (RETURNING
 * rows and rows changed, or the error's class and message), `changes()`, `total_changes()`,
 * `last_insert_rowid()`, whether a transaction is open, and the table's rows.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import type { ConflictCase } from './generate-conflict';

type Outcome = { ok: true; rows: unknown[][] | null; changes: number } | { ok: false; error: string };

interface State {
  outcome: Outcome;
  counters: unknown[];
  inTransaction: boolean;
  table: unknown[][];
}

/**
 * An error as `Class: message`. SQLite's constraint codes are ModelVault's IntegrityError, its
 * transaction-state errors TransactionError; a CHECK message keeps its prefix only (SQLite names
 * the expression, ModelVault the column and the failed rule: docs/sql.md "Errors").
 */
function sqliteError(err: unknown): string {
  const { code = '', message = '' } = err as { code?: string; message?: string };
  if (code.startsWith('SQLITE_CONSTRAINT')) return `IntegrityError: ${checkPrefix(message)}`;
  if (/transaction/.test(message)) return 'TransactionError';
  return `${code}: ${message}`;
}

function mvError(err: unknown): string {
  const e = err as Error;
  if (e.name === 'IntegrityError') return `IntegrityError: ${checkPrefix(e.message)}`;
  if (e.name === 'TransactionError') return 'TransactionError';
  return `${e.name}: ${e.message}`;
}

function checkPrefix(message: string): string {
  return message.startsWith('CHECK constraint failed') ? 'CHECK constraint failed' : message;
}

function runSqlite(db: BetterSqlite3.Database, sql: string): State {
  let outcome: Outcome;
  try {
    const stmt = db.prepare(sql);
    if (stmt.reader) {
      const rows = stmt.raw(true).all() as unknown[][];
      outcome = { ok: true, rows, changes: Number(db.prepare('SELECT changes()').pluck().get()) };
    } else outcome = { ok: true, rows: null, changes: stmt.run().changes };
  } catch (err) {
    outcome = { ok: false, error: sqliteError(err) };
  }
  if (/^(BEGIN|COMMIT|ROLLBACK)$/.test(sql) && outcome.ok) outcome = { ok: true, rows: null, changes: -1 };
  return {
    outcome,
    counters: db
      .prepare('SELECT changes(), total_changes(), last_insert_rowid()')
      .raw(true)
      .get() as unknown[],
    inTransaction: db.inTransaction,
    table: db.prepare('SELECT * FROM t ORDER BY id').raw(true).all() as unknown[][],
  };
}

function runMv(conn: Connection, sql: string): State {
  let outcome: Outcome;
  try {
    const cur = conn.execute(sql);
    const rows = cur.description === null ? null : (cur.fetchAll() as unknown[][]);
    outcome = { ok: true, rows, changes: cur.rowCount };
  } catch (err) {
    outcome = { ok: false, error: mvError(err) };
  }
  return {
    outcome,
    counters: conn.execute('SELECT changes(), total_changes(), last_insert_rowid()').fetchOne() as unknown[],
    inTransaction: conn.inTransaction,
    table: conn.execute('SELECT * FROM t ORDER BY id').fetchAll() as unknown[][],
  };
}

/** What the comparison saw, for the suite's report. */
export const conflictStats = { statements: 0, failed: 0, kept: 0, rolledBack: 0, returning: 0 };

/** Runs the case; returns the number of statements compared, throws on the first difference. */
export function runConflictCase(c: ConflictCase): number {
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  const log: string[] = [];
  try {
    for (const sql of c.ddl) {
      sqlite.exec(sql);
      conn.execute(sql);
      log.push(sql);
    }
    for (const sql of c.stmts) {
      log.push(sql);
      const wasIn = sqlite.inTransaction;
      const a = runSqlite(sqlite, sql);
      const b = runMv(conn, sql);
      const as = JSON.stringify(a);
      if (as !== JSON.stringify(b))
        throw new Error(
          `conflict differential mismatch\n${log.join('\n')}\n  sqlite:     ${as}\n  modelvault: ${JSON.stringify(b)}`,
        );
      conflictStats.statements++;
      if (!a.outcome.ok && /^(INSERT|UPDATE|REPLACE)/.test(sql)) {
        conflictStats.failed++;
        if (Number(a.counters[0]) > 0) conflictStats.kept++;
        if (wasIn && !a.inTransaction) conflictStats.rolledBack++;
      }
      if (/RETURNING/.test(sql) && a.outcome.ok) conflictStats.returning++;
    }
    return c.stmts.length;
  } finally {
    conn.close();
    sqlite.close();
  }
}
