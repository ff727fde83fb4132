/**
 * Runs the same expressions on ModelVault and on SQLite (better-sqlite3) over one table of edge
 * values — NULL, '', -0.0, int64 extremes, numeric-looking text, blobs — and reports every row
 * where the value or its typeof() differs.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../../src/index';

export const COLUMNS = 'i INTEGER, r REAL, s TEXT, b BLOB';

/** One row per line: i, r, s, b as SQL literals. */
export const ROWS: readonly string[] = [
  'NULL, NULL, NULL, NULL',
  "0, 0.0, '', x''",
  "1, -0.0, ' 5 ', x'00ff'",
  "-1, 0.5, '12abc', x'616263'",
  "5, 2.5, 'abc', x'35'",
  "-5, -2.5, '-5', x'2061'",
  "9223372036854775807, 1e20, '1e3', x'c3a9'",
  "-9223372036854775808, 3.0, '😀é', NULL",
  "42, 123456.789, 'Hello World', x'41'",
  "100, -1.5, '3.7', x''",
  "7, 1e-7, 'a''b\"c', x'ff'",
  "2, 0.1, '  x  ', x'00'",
];

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : `${v}n`;
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  if (v === true) return 1;
  if (v === false) return 0;
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}

function same(a: unknown, b: unknown, tolerance: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

export interface CheckOptions {
  /** Compare typeof() too (off where ModelVault's static typing is a documented difference). */
  readonly typeof?: boolean;
  /** Relative tolerance for REAL results. */
  readonly tolerance?: number;
  /** Only these row ids (1-based). */
  readonly rows?: readonly number[];
}

export class Oracle {
  private readonly sqlite = new BetterSqlite3(':memory:');
  private readonly conn = connect(':memory:', { autocommit: true, safeIntegers: true });

  constructor() {
    const create = `CREATE TABLE t (id INTEGER PRIMARY KEY, ${COLUMNS})`;
    this.sqlite.exec(create);
    const cur = this.conn.cursor();
    cur.execute(create);
    ROWS.forEach((r, k) => {
      const sql = `INSERT INTO t VALUES (${k + 1}, ${r})`;
      this.sqlite.exec(sql);
      cur.execute(sql);
    });
  }

  /** Differences for `expr` evaluated on every row (empty when the engines agree). */
  diff(expr: string, opts: CheckOptions = {}): string[] {
    const withType = opts.typeof !== false;
    const where = opts.rows ? ` WHERE id IN (${opts.rows.join(', ')})` : '';
    const sql = `SELECT id, ${expr}${withType ? `, typeof(${expr})` : ''} FROM t${where} ORDER BY id`;
    let want: unknown[][] | string;
    try {
      const st = this.sqlite.prepare(sql);
      st.safeIntegers(true);
      want = (st.raw(true).all() as unknown[][]).map((r) => r.map(norm));
    } catch (err) {
      want = `error ${(err as Error).message}`;
    }
    let got: unknown[][] | string;
    try {
      const cur = this.conn.cursor();
      cur.execute(sql);
      got = (cur.fetchAll() as unknown[][]).map((r) => r.map(norm));
    } catch (err) {
      got = `error ${(err as Error).message}`;
    }
    if (typeof want === 'string' || typeof got === 'string') {
      if (typeof want === 'string' && typeof got === 'string') return [];
      return [`${expr}: sqlite ${JSON.stringify(want)} / modelvault ${JSON.stringify(got)}`];
    }
    const out: string[] = [];
    const tol = opts.tolerance ?? 1e-15;
    if (want.length !== got.length) return [`${expr}: ${want.length} rows vs ${got.length}`];
    want.forEach((w, i) => {
      const g = got[i] as unknown[];
      if (!w.every((v, j) => same(v, g[j], tol)))
        out.push(
          `${expr} [row ${String(w[0])}]: sqlite ${JSON.stringify(w.slice(1))} / modelvault ${JSON.stringify(g.slice(1))}`,
        );
    });
    return out;
  }

  /** Runs a whole statement on both engines (for aggregates): rows must match in order. */
  diffQuery(sql: string, tolerance = 1e-15): string[] {
    const run = (f: () => unknown[][]): unknown[][] | string => {
      try {
        return f().map((r) => r.map(norm));
      } catch (err) {
        return `error ${(err as Error).message}`;
      }
    };
    const want = run(() => {
      const st = this.sqlite.prepare(sql);
      st.safeIntegers(true);
      return st.raw(true).all() as unknown[][];
    });
    const got = run(() => {
      const cur = this.conn.cursor();
      cur.execute(sql);
      return cur.fetchAll() as unknown[][];
    });
    if (typeof want === 'string' || typeof got === 'string')
      return typeof want === 'string' && typeof got === 'string'
        ? []
        : [`${sql}: sqlite ${JSON.stringify(want)} / modelvault ${JSON.stringify(got)}`];
    if (
      want.length !== got.length ||
      !want.every((w, i) => w.every((v, j) => same(v, (got[i] as unknown[])[j], tolerance)))
    )
      return [`${sql}: sqlite ${JSON.stringify(want)} / modelvault ${JSON.stringify(got)}`];
    return [];
  }

  /** The ModelVault error for a statement, or null. */
  mvError(sql: string): Error | null {
    try {
      const cur = this.conn.cursor();
      cur.execute(sql);
      cur.fetchAll();
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  close(): void {
    this.conn.close();
    this.sqlite.close();
  }
}
