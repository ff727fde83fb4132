/**
 * Fuzz the front end directly (seeded, reproducible): random strings, token soups, mutations of
 * valid statements and grammar-generated SELECTs must lower or fail with a ModelVaultError —
 * never a TypeError/RangeError, and never the InternalError that marks a front-end defect.
 * Every SELECT that lowers must respect the fixed layer order of planner/logical.ts.
 */
import fc from 'fast-check';
import { InternalError, ModelVaultError } from '../../src/errors';
import type { LoweredStatement } from '../../parser/ir';
import { layerKinds, lower, sharedCatalog } from './catalog';

const SEED = 20261124;
const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 2500);
const ORDER = ['scan', 'filter', 'aggregate', 'having', 'sort', 'project', 'distinct', 'limit'];

function checkPlan(lowered: LoweredStatement): void {
  const stmt = lowered.stmt.kind === 'explain' ? lowered.stmt.select : lowered.stmt;
  if (stmt.kind !== 'select') return;
  const kinds = layerKinds(stmt.plan);
  const positions = kinds.map((k) => ORDER.indexOf(k === 'values' ? 'scan' : k));
  expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]))).toBe(true);
  expect(kinds).toContain('project');
}

/** Lowering either succeeds with a well-formed result or throws a library error that is not a defect. */
function lowersOrRejects(sql: string): boolean {
  let lowered: LoweredStatement;
  try {
    lowered = lower(sql, sharedCatalog());
  } catch (err) {
    if (!(err instanceof ModelVaultError) || err instanceof InternalError) {
      throw new Error(`${sql}\n→ ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    return true;
  }
  expect(lowered.sql).toBe(sql);
  checkPlan(lowered);
  return true;
}

const TOKENS = [
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'INSERT',
  'OR',
  'IGNORE',
  'REPLACE',
  'INTO',
  'VALUES',
  'UPDATE',
  'SET',
  'DELETE',
  'CREATE',
  'TABLE',
  'INDEX',
  'UNIQUE',
  'IF',
  'NOT',
  'EXISTS',
  'DROP',
  'ALTER',
  'ADD',
  'COLUMN',
  'PRIMARY',
  'KEY',
  'DEFAULT',
  'CHECK',
  'NULL',
  'AND',
  'IN',
  'IS',
  'LIKE',
  'ESCAPE',
  'BETWEEN',
  'DISTINCT',
  'AS',
  'ASC',
  'DESC',
  'ON',
  'CONFLICT',
  'DO',
  'NOTHING',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'TRANSACTION',
  'EXPLAIN',
  'QUERY',
  'PLAN',
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'TOTAL',
  'length',
  'upper',
  'TRUE',
  'FALSE',
  'JOIN',
  'UNION',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'CAST',
  'COLLATE',
  'NOCASE',
  'RTRIM',
  'GLOB',
  'DISTINCT',
  'FROM',
  'INTEGER',
  'TEXT',
  'REAL',
  'BLOB',
  'BOOLEAN',
  'VARCHAR',
  'books',
  'users',
  'logs',
  's',
  'nope',
  'id',
  'title',
  'year',
  'price',
  'cover',
  'available',
  'email',
  'profile',
  'timezone',
  'address',
  'city',
  'dept',
  'sal',
  'name',
  'rowid',
  'oid',
  '"profile.timezone"',
  '`title`',
  '[year]',
  '*',
  '(',
  ')',
  ',',
  '.',
  ';',
  '=',
  '==',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '/',
  '%',
  '||',
  '&',
  '|',
  '~',
  '<<',
  '>>',
  '?',
  '?1',
  '?2',
  ':a',
  '@b',
  '$c',
  '0',
  '1',
  '42',
  '-7',
  '2.5',
  '1e3',
  '0x1F',
  '9223372036854775808',
  "'a'",
  "'it''s'",
  "''",
  "x'00ff'",
  'NULL',
  '--',
  '/*',
  '*/',
  "'",
  '"',
];

const token = fc.constantFrom(...TOKENS);
const soup = fc.array(token, { minLength: 1, maxLength: 24 }).map((ts) => ts.join(' '));

/** Mostly valid SELECTs over the standard catalog, to reach deep into the lowering. */
const column = fc.constantFrom(
  'id',
  'title',
  'year',
  'price',
  'available',
  'b.year',
  'b.title',
  'rowid',
  'nope',
);
const literal = fc.constantFrom('1', '-2', '2.5', "'x'", 'NULL', 'TRUE', "x'01'", '?', ':p');
const atom = fc.oneof(column, literal);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc
      .tuple(tie('e'), fc.constantFrom('=', '!=', '<', '>=', '+', '*', '%', '||', 'AND', 'OR'), tie('e'))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('e').map((a) => `(${a})`),
    tie('e').map((a) => `NOT ${a}`),
    fc
      .tuple(tie('e'), fc.array(atom, { minLength: 0, maxLength: 3 }))
      .map(([a, l]) => `${a} IN (${l.join(', ')})`),
    fc.tuple(tie('e'), atom, atom).map(([a, b, c]) => `${a} BETWEEN ${b} AND ${c}`),
    fc.tuple(column, fc.constantFrom("'a%'", '?', "'%'")).map(([a, p]) => `${a} LIKE ${p}`),
    tie('e').map((a) => `${a} IS NOT NULL`),
    fc
      .tuple(
        tie('e'),
        fc.constantFrom('&', '|', '<<', '>>', 'IS', 'IS NOT', 'IS DISTINCT FROM', 'GLOB'),
        tie('e'),
      )
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('e').map((a) => `~${a}`),
    fc
      .tuple(tie('e'), fc.constantFrom('INTEGER', 'TEXT', 'REAL', 'NUMERIC', 'BLOB', 'VARCHAR(3)', ''))
      .map(([a, t]) => `CAST(${a} AS ${t})`),
    fc
      .tuple(fc.option(tie('e')), tie('e'), tie('e'), fc.option(tie('e')))
      .map(([b, w, t, e]) => `CASE ${b ?? ''} WHEN ${w} THEN ${t}${e === null ? '' : ` ELSE ${e}`} END`),
    fc
      .tuple(tie('e'), fc.constantFrom('NOCASE', 'RTRIM', 'BINARY', 'nope'))
      .map(([a, c]) => `${a} COLLATE ${c}`),
    fc
      .tuple(fc.constantFrom('COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'TOTAL'), column)
      .map(([f, c]) => `${f}(${c})`),
  ),
})).e;
const select = fc
  .record({
    distinct: fc.boolean(),
    items: fc.array(fc.tuple(expr, fc.option(fc.constantFrom('a', 'year', 'n'))), {
      minLength: 1,
      maxLength: 3,
    }),
    where: fc.option(expr),
    groupBy: fc.option(
      fc.array(fc.oneof(expr, fc.constantFrom('1', '2', 'a')), { minLength: 1, maxLength: 2 }),
    ),
    having: fc.option(expr),
    orderBy: fc.option(
      fc.array(fc.oneof(expr, fc.constantFrom('1', 'a', 'n')), { minLength: 1, maxLength: 2 }),
    ),
    limit: fc.option(fc.constantFrom('LIMIT 1', 'LIMIT ? OFFSET ?', 'LIMIT 2, 3', 'LIMIT -1')),
  })
  .map((q) =>
    [
      `SELECT ${q.distinct ? 'DISTINCT ' : ''}${q.items.map(([e, a]) => (a ? `${e} AS ${a}` : e)).join(', ')}`,
      'FROM books b',
      q.where ? `WHERE ${q.where}` : '',
      q.groupBy ? `GROUP BY ${q.groupBy.join(', ')}` : '',
      q.having ? `HAVING ${q.having}` : '',
      q.orderBy ? `ORDER BY ${q.orderBy.join(', ')}` : '',
      q.limit ?? '',
    ].join(' '),
  );

const VALID = [
  'SELECT id, title FROM books WHERE year >= ? ORDER BY id DESC LIMIT 10',
  "SELECT CAST(? AS INTEGER), CASE 1 WHEN 1 THEN 'a' END, 6 & 3 | ~1 << 2, 'a' GLOB '[a-c]*', 1 IS NOT DISTINCT FROM ?",
  "VALUES (1, 'a' COLLATE NOCASE), (?, NULL)",
  'SELECT title FROM books ORDER BY title COLLATE NOCASE, 1 COLLATE RTRIM',
  "INSERT OR IGNORE INTO books (id, title, year) VALUES (1, 'a', 2020), (?, ?, ?)",
  "UPDATE books SET year = year + 1 WHERE title LIKE 'a%' ESCAPE '!'",
  'DELETE FROM logs WHERE rowid BETWEEN 1 AND 5',
  'SELECT dept, COUNT(*), SUM(sal) AS total FROM s GROUP BY dept HAVING total > 10 ORDER BY 2 DESC',
  "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE, st TEXT CHECK (st IN ('a', 'b')))",
  'CREATE UNIQUE INDEX IF NOT EXISTS ix ON users (profile.timezone)',
  'ALTER TABLE books ADD COLUMN isbn TEXT DEFAULT NULL',
  'EXPLAIN QUERY PLAN SELECT DISTINCT year FROM books ORDER BY year',
];

/** Delete, duplicate or replace one character of a valid statement. */
const mutated = fc
  .tuple(fc.constantFrom(...VALID), fc.nat(), fc.constantFrom('delete', 'duplicate', 'replace'), fc.char())
  .map(([sql, at, how, ch]) => {
    const i = at % sql.length;
    if (how === 'delete') return sql.slice(0, i) + sql.slice(i + 1);
    if (how === 'duplicate') return sql.slice(0, i) + sql[i] + sql.slice(i);
    return sql.slice(0, i) + ch + sql.slice(i + 1);
  });

describe('the front end never fails with anything but a ModelVaultError', () => {
  test('valid seeds lower', () => {
    for (const sql of VALID) expect(() => lower(sql)).not.toThrow();
  });

  test('random strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.ascii()), lowersOrRejects), {
      seed: SEED,
      numRuns: RUNS,
    });
  });

  test('token soups', () => {
    fc.assert(fc.property(soup, lowersOrRejects), { seed: SEED + 1, numRuns: RUNS });
  });

  test('statement-shaped token soups', () => {
    const shaped = fc
      .tuple(
        fc.constantFrom('SELECT', 'INSERT INTO', 'UPDATE', 'DELETE FROM', 'CREATE TABLE', 'EXPLAIN SELECT'),
        soup,
      )
      .map(([head, rest]) => `${head} ${rest}`);
    fc.assert(fc.property(shaped, lowersOrRejects), { seed: SEED + 2, numRuns: RUNS });
  });

  test('single-character mutations of valid statements', () => {
    fc.assert(fc.property(mutated, lowersOrRejects), { seed: SEED + 3, numRuns: RUNS });
  });

  test('grammar-generated SELECTs', () => {
    let lowered = 0;
    fc.assert(
      fc.property(select, (sql) => {
        lowersOrRejects(sql);
        try {
          lower(sql);
          lowered++;
        } catch {
          // counted only to make sure the generator reaches the lowering
        }
        return true;
      }),
      { seed: SEED + 4, numRuns: RUNS },
    );
    expect(lowered).toBeGreaterThan(RUNS / 20);
  });
});
