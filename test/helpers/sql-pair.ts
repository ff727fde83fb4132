/**
 * One statement on ModelVault and on better-sqlite3, compared by rows (normalized as in the
 * differential suite) or by the error's message: for features whose messages are SQLite's own.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection, Cursor } from '../../src/index';
import { normRow, rowsMatch } from '../differential/normalize';

export type Outcome = { rows: unknown[][] } | { error: string };

export function ours(conn: Connection, sql: string, params: unknown[] = []): Outcome {
  const cur = conn.cursor();
  try {
    cur.execute(sql, params);
    return { rows: cur.description ? (cur.fetchAll() as unknown[][]).map(normRow) : [] };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function theirs(db: BetterSqlite3.Database, sql: string, params: unknown[] = []): Outcome {
  try {
    const st = db.prepare(sql);
    if (!st.reader) {
      st.run(...params);
      return { rows: [] };
    }
    return { rows: (st.raw(true).all(...params) as unknown[][]).map(normRow) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function same(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b;
  return a.rows.length === b.rows.length && a.rows.every((r, i) => rowsMatch(r, b.rows[i]));
}

/** Run statements on both engines; every result (or the error's message) must be SQLite's. */
export function sameAsSqlite(statements: readonly string[]): void {
  const conn = connect(':memory:');
  const db = new BetterSqlite3(':memory:');
  db.defaultSafeIntegers(false);
  try {
    for (const sql of statements) expect({ sql, ...ours(conn, sql) }).toEqual({ sql, ...theirs(db, sql) });
  } finally {
    conn.close();
    db.close();
  }
}

/**
 * A fresh pair of in-memory databases for one property run: `run` executes a statement on both
 * and throws on the first difference (by rows, or with `messages` also by error message); both
 * are closed afterwards.
 */
export function withPair(
  body: (run: (sql: string, params?: unknown[]) => void) => void,
  opts: { messages?: boolean } = {},
): void {
  const conn = connect(':memory:');
  const db = new BetterSqlite3(':memory:');
  try {
    body((sql, params = []) => {
      const a = ours(conn, sql, params);
      const b = theirs(db, sql, params);
      const messageDiffers = opts.messages === true && 'error' in a && 'error' in b && a.error !== b.error;
      if (!same(a, b) || messageDiffers)
        throw new Error(`${sql} ${JSON.stringify(params)}: ${JSON.stringify({ a, b })}`);
    });
  } finally {
    conn.close();
    db.close();
  }
}

/**
 * An in-memory better-sqlite3 database and an autocommit ModelVault connection (with a cursor),
 * `ddl` run on both: the setup of a test comparing statements on the two.
 */
export function twinDatabases(ddl: readonly string[]): {
  sqlite: BetterSqlite3.Database;
  conn: Connection;
  cur: Cursor;
} {
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  const cur = conn.cursor();
  for (const d of ddl) {
    sqlite.exec(d);
    cur.execute(d);
  }
  return { sqlite, conn, cur };
}
