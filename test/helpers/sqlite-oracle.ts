/**
 * Runs the same statements on ModelVault (DB-API cursor, autocommit) and on better-sqlite3 and
 * reports each outcome in one comparable shape: result columns and rows (booleans and bigints
 * normalized as in the differential suite), rows changed, or the error's class. SQLite's error
 * codes are mapped to the DB-API classes ModelVault raises for them.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect, ProgrammingError } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';

export type Outcome =
  | { ok: true; names: string[] | null; rows: unknown[][] | null; changes: number }
  | { ok: false; error: string };

function sqliteClass(code: string): string {
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'IntegrityError';
  if (code === 'SQLITE_MISMATCH') return 'DataError';
  return 'ProgrammingError';
}

export class Oracle {
  readonly sqlite: BetterSqlite3.Database = new BetterSqlite3(':memory:');
  readonly conn: Connection = connect(':memory:', { autocommit: true, safeIntegers: true });

  close(): void {
    this.conn.close();
    this.sqlite.close();
  }

  /** Run `sql` on both engines (setup: throws if either fails). */
  exec(...sqls: string[]): void {
    for (const sql of sqls) {
      this.sqlite.exec(sql);
      this.conn.execute(sql);
    }
  }

  runSqlite(sql: string, params: unknown[] = []): Outcome {
    try {
      const stmt = this.sqlite.prepare(sql);
      stmt.safeIntegers(true);
      if (stmt.reader) {
        const rows = (stmt.raw(true).all(...params) as unknown[][]).map(normRow);
        const names = stmt.columns().map((c) => c.name);
        const changes = Number(this.sqlite.prepare('SELECT changes()').pluck().get());
        return { ok: true, names, rows, changes };
      }
      return { ok: true, names: null, rows: null, changes: stmt.run(...params).changes };
    } catch (err) {
      const code = (err as { code?: string }).code;
      return { ok: false, error: code ? sqliteClass(code) : (err as Error).name };
    }
  }

  runMv(sql: string, params: unknown[] = []): Outcome {
    try {
      const cur = this.conn.cursor().execute(sql, params);
      const desc = cur.description;
      if (desc === null) return { ok: true, names: null, rows: null, changes: cur.rowCount };
      const rows = (cur.fetchAll() as unknown[][]).map(normRow);
      return { ok: true, names: desc.map((d) => d[0]), rows, changes: cur.rowCount };
    } catch (err) {
      // QueryError and SchemaError are ProgrammingErrors: SQLite's SQLITE_ERROR covers all three.
      return { ok: false, error: err instanceof ProgrammingError ? 'ProgrammingError' : (err as Error).name };
    }
  }

  /**
   * A statement's outcome on both engines with `changes` blanked: for a query, ModelVault's
   * rowCount and SQLite's changes() (the last write's) do not compare.
   */
  query(sql: string): { mv: Outcome; sqlite: Outcome } {
    const blank = (r: Outcome): Outcome => (r.ok ? { ...r, changes: -1 } : r);
    const mv = blank(this.runMv(sql));
    return { mv, sqlite: blank(this.runSqlite(sql)) };
  }

  /** Both outcomes, plus each table's rows afterwards, for one toEqual. */
  both(sql: string, tables: readonly string[], params: unknown[] = []): { mv: unknown; sqlite: unknown } {
    const sqlite = this.runSqlite(sql, params);
    const mv = this.runMv(sql, params);
    const dump = (run: (s: string) => Outcome): unknown =>
      tables.map((t) => {
        const o = run(`SELECT * FROM ${t} ORDER BY 1`);
        return o.ok ? o.rows : o.error;
      });
    // A SELECT's rowCount is the rows fetched, SQLite's changes() the last write's: not comparable.
    const isQuery = /^\s*SELECT/i.test(sql);
    const strip = (o: Outcome): Outcome => (o.ok && isQuery ? { ...o, changes: -1 } : o);
    return {
      sqlite: { outcome: strip(sqlite), tables: dump((s) => this.runSqlite(s)) },
      mv: { outcome: strip(mv), tables: dump((s) => this.runMv(s)) },
    };
  }
}
