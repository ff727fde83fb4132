/**
 * Runs one differential case on ModelVault (through the DB-API cursor) and on better-sqlite3,
 * statement by statement, and throws a descriptive error at the first difference: column names,
 * rows (sequences when ordered, multisets otherwise), changed-row counts, or one engine failing
 * where the other succeeds.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Case, Stmt } from './generate';
import { createTableSql } from './generate';
import { normRow, rowKey, rowsMatch } from './normalize';

type Outcome =
  { ok: true; names?: string[]; rows?: unknown[][]; changes?: number } | { ok: false; error: string };

function runSqlite(db: BetterSqlite3.Database, s: Stmt): Outcome {
  try {
    // Safe-integer mode on both sides: integers beyond 2^53 compare exactly instead of being
    // silently rounded by better-sqlite3 (ModelVault refuses to round them: INT_PRECISION).
    const stmt = db.prepare(s.sql);
    if (stmt.reader) stmt.safeIntegers(true);
    const params = s.params.map((p) => p.sqlite);
    if (s.kind === 'ddl') {
      db.exec(s.sql);
      return { ok: true };
    }
    if (s.kind !== 'write') {
      const rows = (stmt.raw(true).all(...params) as unknown[][]).map(normRow);
      const names = stmt.columns().map((c) => c.name);
      if (s.kind === 'select') return { ok: true, names, rows };
      return { ok: true, names, rows, changes: Number(db.prepare('SELECT changes()').pluck().get()) };
    }
    return { ok: true, changes: stmt.run(...params).changes };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

function runMv(cur: ReturnType<ReturnType<typeof connect>['cursor']>, s: Stmt): Outcome {
  try {
    cur.execute(
      s.sql,
      s.params.map((p) => p.mv),
    );
    if (s.kind === 'ddl') return { ok: true };
    if (s.kind !== 'write') {
      const rows = (cur.fetchAll() as unknown[][]).map(normRow);
      const names = (cur.description ?? []).map((d) => d[0]);
      return s.kind === 'select'
        ? { ok: true, names, rows }
        : { ok: true, names, rows, changes: cur.rowCount };
    }
    return { ok: true, changes: cur.rowCount };
  } catch (err) {
    return {
      ok: false,
      error:
        err instanceof Error
          ? `${err.name}(${(err as { code?: string }).code}): ${err.message}`
          : String(err),
    };
  }
}

function sameRows(a: unknown[][], b: unknown[][], ordered: boolean): boolean {
  if (a.length !== b.length) return false;
  if (!ordered) {
    const sa = [...a].sort((x, y) => (rowKey(x) < rowKey(y) ? -1 : rowKey(x) > rowKey(y) ? 1 : 0));
    const sb = [...b].sort((x, y) => (rowKey(x) < rowKey(y) ? -1 : rowKey(x) > rowKey(y) ? 1 : 0));
    return sa.every((r, i) => rowsMatch(r, sb[i]));
  }
  return a.every((r, i) => rowsMatch(r, b[i]));
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

/** Differences a documented engine difference explains (docs/sql.md), counted and reported. */
export const explained = { updateOrder: 0, foreignKeyCheck: 0 };

const END_OF_CASE = new Error('end of case');

/**
 * docs/sql.md, "UPDATE order": both engines check UNIQUE row by row, ModelVault in primary-key
 * order, SQLite in the order its plan reads the rows (an index walk for `WHERE c1 >= ?` on an
 * indexed c1), so an UPDATE that shifts a unique column's values may fail in one and not the
 * other. Not taken on trust: the UPDATE is replayed in SQLite one row at a time in primary-key
 * order (inside a savepoint it then rolls back), and the difference is explained only when that
 * replay does what ModelVault did — fails on UNIQUE where ModelVault failed, or succeeds with
 * exactly ModelVault's table where SQLite's own order failed.
 */
function updateOrderExplains(
  sqlite: BetterSqlite3.Database,
  cur: ReturnType<ReturnType<typeof connect>['cursor']>,
  s: Stmt,
  a: Outcome,
  b: Outcome,
): boolean {
  const m = /^UPDATE t SET (.+?)(?: WHERE (.+))?$/s.exec(s.sql);
  if (!m || s.params.length > 0 || /SELECT/i.test(m[1])) return false;
  const failed = !a.ok ? a.error : !b.ok ? b.error : '';
  if (!failed.includes('UNIQUE constraint failed')) return false;
  const where = m[2] ?? '1';
  sqlite.exec('SAVEPOINT update_order');
  let replayFailed = false;
  let replayTable: unknown[][] = [];
  try {
    const ids = sqlite
      .prepare(`SELECT id FROM t WHERE ${where} ORDER BY id`)
      .safeIntegers(true)
      .raw(true)
      .all() as unknown[][];
    const one = sqlite.prepare(`UPDATE t SET ${m[1]} WHERE id = ?`);
    try {
      for (const [id] of ids) one.run(id);
    } catch (err) {
      if (!String(err).includes('UNIQUE constraint failed')) return false;
      replayFailed = true;
    }
    replayTable = (
      sqlite.prepare('SELECT * FROM t ORDER BY id').safeIntegers(true).raw(true).all() as unknown[][]
    ).map(normRow);
  } finally {
    sqlite.exec('ROLLBACK TO update_order');
    sqlite.exec('RELEASE update_order');
  }
  if (!b.ok) return replayFailed;
  if (replayFailed) return false;
  const mvTable = (cur.execute('SELECT * FROM t ORDER BY id').fetchAll() as unknown[][]).map(normRow);
  return sameRows(replayTable, mvTable, true);
}

/**
 * docs/sql.md, "Foreign keys": SQLite checks immediate constraints with a counter at the end of a
 * statement, which REPLACE deletions combined with SET NULL / SET DEFAULT actions can leave at zero
 * while a reference dangles; ModelVault checks each reference and fails the statement. Not taken
 * on trust: explained only when SQLite accepted the statement, ModelVault refused it for a foreign
 * key, and SQLite's own `PRAGMA foreign_key_check` then finds a row breaking its constraint.
 */
function foreignKeyCheckExplains(sqlite: BetterSqlite3.Database, a: Outcome, b: Outcome): boolean {
  if (!a.ok || b.ok || !b.error.includes('FOREIGN KEY constraint failed')) return false;
  if (sqlite.pragma('foreign_keys', { simple: true }) !== 1) return false;
  return (sqlite.pragma('foreign_key_check') as unknown[]).length > 0;
}

/** Statements where both engines failed (kept low by the generator; reported by the suite). */
export const failures = { both: 0, samples: [] as string[], byError: new Map<string, number>() };

/** Statements compared per write form of issue 12 (a statement may count in several). */
export const forms = {
  insertSelect: 0,
  upsert: 0,
  returning: 0,
  succeeded: 0,
  ddl: 0,
  ddlSucceeded: 0,
  rowValues: 0,
  rowValuesSucceeded: 0,
};

/** A row of columns on the left of a comparison, or assigned by SET (generate-rowvalue.ts). */
const ROW_VALUE = /(\((\w+, )+\w+\) (=|<>|<|<=|>|>=|IS|NOT|IN|BETWEEN) )|SET \(/;

function countForm(s: Stmt, ok: boolean): void {
  const insertSelect = /^(INSERT|REPLACE)[^(]*\([^)]*\) SELECT /.test(s.sql);
  const upsert = / ON CONFLICT( \(| DO UPDATE)/.test(s.sql);
  const returning = s.kind === 'returning';
  if (insertSelect) forms.insertSelect++;
  if (upsert) forms.upsert++;
  if (returning) forms.returning++;
  if (ok && (insertSelect || upsert || returning)) forms.succeeded++;
  if (s.kind === 'ddl') forms.ddl++;
  if (s.kind === 'ddl' && ok) forms.ddlSucceeded++;
  if (ROW_VALUE.test(s.sql)) {
    forms.rowValues++;
    if (ok) forms.rowValuesSucceeded++;
  }
}

/** Returns the number of statements compared; throws on the first difference. */
export function runCase(c: Case, opts: { cacheBytes?: number } = {}): number {
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true, safeIntegers: true, ...opts });
  const cur = conn.cursor();
  const log: string[] = [];
  let compared = 0;
  try {
    for (const sql of c.ddl ?? createTableSql(c.cols)) {
      sqlite.exec(sql);
      cur.execute(sql);
      log.push(sql);
    }
    const check = (s: Stmt): void => {
      log.push(`${s.sql}${s.params.length ? `  -- params ${show(s.params.map((p) => p.mv))}` : ''}`);
      const a = runSqlite(sqlite, s);
      const b = runMv(cur, s);
      compared++;
      countForm(s, a.ok);
      const fail = (what: string): never => {
        throw new Error(
          `differential mismatch (${what})\n${log.join('\n')}\n  sqlite:     ${show(a)}\n  modelvault: ${show(b)}`,
        );
      };
      if (a.ok !== b.ok) {
        if (updateOrderExplains(sqlite, cur, s, a, b)) {
          // The two tables now differ (one engine applied the UPDATE): this case ends here.
          explained.updateOrder++;
          throw END_OF_CASE;
        }
        if (foreignKeyCheckExplains(sqlite, a, b)) {
          // SQLite applied a statement that left a dangling reference: the tables differ now.
          explained.foreignKeyCheck++;
          throw END_OF_CASE;
        }
        fail('one engine failed');
      }
      if (!a.ok || !b.ok) {
        failures.both++;
        // By ModelVault's error class and code: what the generator's rejected statements were.
        const cls = !b.ok ? b.error.slice(0, b.error.indexOf(':')) : '?';
        failures.byError.set(cls, (failures.byError.get(cls) ?? 0) + 1);
        if (failures.samples.length < 20)
          failures.samples.push(
            `${s.sql}\n    sqlite: ${!a.ok ? a.error : ''}\n    mv: ${!b.ok ? b.error : ''}`,
          );
        return;
      }
      if (s.kind === 'ddl') return;
      if (s.kind !== 'write') {
        if (show(a.names) !== show(b.names)) fail('column names');
        if (!sameRows(a.rows ?? [], b.rows ?? [], s.ordered)) fail('rows');
      }
      if (s.kind !== 'select' && a.changes !== b.changes) fail('changes');
    };
    try {
      for (const s of c.inserts) check(s);
      for (const s of c.stmts) {
        check(s);
        for (const t of s.then ?? []) check(t);
        if (s.kind !== 'select')
          check({ sql: 'SELECT * FROM t ORDER BY id', params: [], ordered: true, kind: 'select' });
      }
    } catch (err) {
      if (err !== END_OF_CASE) throw err;
    }
    return compared;
  } finally {
    conn.close();
    sqlite.close();
  }
}
