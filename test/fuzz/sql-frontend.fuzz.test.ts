/**
 * Fuzz the SQL front end (seeded, reproducible): random strings and random soups of SQL tokens
 * must either lower or fail with a ModelVaultError subclass — never a TypeError/RangeError or a
 * crash. Longer runs: MV_FUZZ_RUNS=100000 npx jest test/fuzz.
 */
import fc from 'fast-check';
import { connect, ModelVaultError } from '../../src/index';

const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 3000);
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
  'INTO',
  'VALUES',
  'UPDATE',
  'SET',
  'DELETE',
  'CREATE',
  'TABLE',
  'INDEX',
  'UNIQUE',
  'DROP',
  'ALTER',
  'ADD',
  'COLUMN',
  'PRIMARY',
  'KEY',
  'NOT',
  'NULL',
  'AND',
  'OR',
  'IN',
  'IS',
  'LIKE',
  'ESCAPE',
  'BETWEEN',
  'DISTINCT',
  'AS',
  'ASC',
  'DESC',
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'EXPLAIN',
  'JOIN',
  'CASE',
  'WHEN',
  'ON',
  'CONFLICT',
  'DO',
  'NOTHING',
  'OR',
  'IGNORE',
  'REPLACE',
  't',
  'a',
  'b',
  'id',
  'nope',
  '"a.b"',
  '`x`',
  '[y]',
  '*',
  '(',
  ')',
  ',',
  '.',
  ';',
  '=',
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
  '?',
  '?2',
  ':p',
  '@q',
  '$r',
  '1',
  '2.5',
  '1e3',
  '0x1F',
  "'s'",
  "'it''s'",
  "x'00ff'",
  'TRUE',
  'FALSE',
  'INTEGER',
  'TEXT',
  'REAL',
  'BLOB',
  'BOOLEAN',
  'DEFAULT',
  'CHECK',
  '--c\n',
  '/* c */',
];

function exercise(sql: string): void {
  const conn = connect(':memory:', { autocommit: true });
  try {
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL)');
    conn.execute("INSERT INTO t (a, b) VALUES ('x', 1.5), (NULL, NULL)");
    try {
      const cur = conn.execute(sql, [1, 'two', 3]);
      if (cur.description) cur.fetchAll();
    } catch (err) {
      if (!(err instanceof ModelVaultError))
        throw new Error(`non-library error for ${JSON.stringify(sql)}: ${String(err)}`);
    }
    // The connection stays usable.
    expect(conn.execute('SELECT COUNT(*) FROM t').fetchOne()).toBeDefined();
  } finally {
    conn.close();
  }
}

describe('SQL front-end fuzz', () => {
  test(`random strings (${RUNS})`, () => {
    fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 80 }), exercise), { numRuns: RUNS, seed: 1 });
  });

  test(`token soups (${RUNS})`, () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }), (toks) =>
        exercise(toks.join(' ')),
      ),
      { numRuns: RUNS, seed: 2 },
    );
  });

  test(`mutated valid statements (${RUNS})`, () => {
    const valid = [
      'SELECT id, a FROM t WHERE b > 1 ORDER BY id DESC LIMIT 2',
      "INSERT INTO t (a, b) VALUES ('q', 2.5)",
      'UPDATE t SET b = b * 2 WHERE a IS NOT NULL',
      'SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 0',
      'CREATE INDEX ix ON t (a)',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('', ' ', '(', "'", '"', ',', 'NOT ', '?', '--'),
        (sql, at, len, ins) => {
          const i = at % (sql.length + 1);
          exercise(sql.slice(0, i) + ins + sql.slice(i + (len % 4)));
        },
      ),
      { numRuns: RUNS, seed: 3 },
    );
  });
});
