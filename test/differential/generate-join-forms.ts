/**
 * Differential cases for the planner forms of issue 13's later items, over a target table `t`
 * (compared after every write), a source `s` (duplicate and NULL keys, sometimes indexed) and a
 * third table `u` (often empty):
 *
 * - `UPDATE t … FROM …` written so each target row's matches agree on the new values (SQLite
 *   picks an unspecified match otherwise): aggregates per key in a derived table or a CTE, a
 *   primary-key match, or SET expressions that read only the target; joins, parenthesized joins
 *   and RETURNING in the FROM form.
 * - `ORDER BY … NULLS FIRST | NULLS LAST` in SELECT (with LIMIT), compound and window ORDER BY.
 * - Parenthesized joins: `a JOIN (b JOIN c ON …) ON …` of every kind, `FROM (a, b)`.
 * - `[NOT] IN (SELECT …)` and correlated `[NOT] EXISTS` (equality and other correlations) in
 *   SELECT, UPDATE and DELETE.
 */
import fc from 'fast-check';
import type { Case, Stmt } from './literals';

const KEY = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) },
  { weight: 1, arbitrary: fc.constant('NULL') },
);
const NAME = fc.constantFrom("'a'", "'b'", "'c'", "'B'", 'NULL');
const REAL = fc.constantFrom('0.5', '1.0', '2.25', 'NULL');

function rowsArb(table: 't' | 's' | 'u', max: number): fc.Arbitrary<Stmt[]> {
  const row = (id: number): fc.Arbitrary<string> =>
    (table === 't'
      ? fc.tuple(KEY, KEY, NAME, REAL)
      : table === 's'
        ? fc.tuple(KEY, KEY, NAME)
        : fc.tuple(KEY, NAME)
    ).map((vs) => `(${id}, ${vs.join(', ')})`);
  return fc.integer({ min: 0, max }).chain((n) =>
    n === 0
      ? fc.constant([])
      : fc.tuple(...Array.from({ length: n }, (_, i) => row(i + 1))).map((rows) => [
          {
            sql: `INSERT INTO ${table} VALUES ${rows.join(', ')}`,
            params: [],
            ordered: false,
            kind: 'write' as const,
          },
        ]),
  );
}

function ddlArb(): fc.Arbitrary<string[]> {
  return fc
    .record({ sk: fc.boolean(), tk: fc.boolean(), uk: fc.boolean() })
    .map((ix) => [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, name TEXT, r REAL)',
      'CREATE TABLE s (id INTEGER PRIMARY KEY, k INTEGER, w INTEGER, name TEXT)',
      'CREATE TABLE u (id INTEGER PRIMARY KEY, k INTEGER, name TEXT)',
      ...(ix.sk ? ['CREATE INDEX s_k ON s (k)'] : []),
      ...(ix.tk ? ['CREATE INDEX t_k ON t (k, v)'] : []),
      ...(ix.uk ? ['CREATE INDEX u_k ON u (k)'] : []),
    ]);
}

const select = (sql: string, ordered: boolean): Stmt => ({ sql, params: [], ordered, kind: 'select' });
const write = (sql: string): Stmt => ({
  sql,
  params: [],
  ordered: false,
  kind: / RETURNING /.test(sql) ? 'returning' : 'write',
});

const TARGET_WHERE = fc.constantFrom('', ' AND t.v IS NOT NULL', ' AND t.id > 2', ' AND t.name IS NULL');

function updateFromArb(): fc.Arbitrary<Stmt> {
  const aggregate = fc
    .tuple(
      fc.constantFrom('max(w)', 'min(w)', 'count(*)', 'count(w)', 'sum(w)'),
      fc.constantFrom('v', 'k'),
      fc.boolean(),
      TARGET_WHERE,
    )
    .map(([agg, col, cte, more]) =>
      cte
        ? `WITH x AS (SELECT k, ${agg} AS m FROM s GROUP BY k) UPDATE t SET ${col} = x.m FROM x WHERE x.k = t.k${more}`
        : `UPDATE t SET ${col} = x.m FROM (SELECT k, ${agg} AS m FROM s GROUP BY k) AS x WHERE x.k = t.k${more}`,
    );
  const byKey = fc
    .tuple(
      fc.constantFrom('v = s.w', 'name = s.name', 'v = s.w, name = s.name', 'k = s.k + 10'),
      TARGET_WHERE,
      fc.boolean(),
    )
    .map(
      ([set, more, returning]) =>
        `UPDATE t SET ${set} FROM s WHERE s.id = t.id${more}${returning ? ' RETURNING id, k, v, name' : ''}`,
    );
  // SET reads the target alone: every match gives the same values.
  const from = fc.constantFrom(
    's',
    's JOIN u ON u.k = s.k',
    's LEFT JOIN u ON u.k = s.k',
    '(s JOIN u ON u.k = s.k)',
    'u RIGHT JOIN s ON s.k = u.k',
    '(SELECT DISTINCT k FROM s) AS s',
  );
  const targetOnly = fc
    .tuple(
      fc.constantFrom('v = coalesce(t.v, 0) + 1', "name = 'set'", 'r = NULL', 'k = t.k * 2'),
      from,
      fc.constantFrom('s.k = t.k', 's.k = t.v', 's.k > t.k', 's.k IS NULL', '1'),
      TARGET_WHERE,
      fc.boolean(),
    )
    .map(
      ([set, src, on, more, returning]) =>
        `UPDATE t SET ${set} FROM ${src} WHERE ${on}${more}${returning ? ' RETURNING *' : ''}`,
    );
  return fc.oneof(aggregate, byKey, targetOnly).map(write);
}

const NULLS = fc.constantFrom(' NULLS FIRST', ' NULLS LAST', '');
const DIR = fc.constantFrom('', ' ASC', ' DESC');

function nullsOrderArb(): fc.Arbitrary<Stmt> {
  const plain = fc
    .tuple(
      fc.constantFrom('k', 'v', 'name', 'r'),
      DIR,
      NULLS,
      fc.constantFrom('k', 'v'),
      DIR,
      NULLS,
      fc.integer({ min: 0, max: 4 }),
    )
    .map(([a, d1, n1, b, d2, n2, limit]) =>
      select(
        `SELECT id, k, v, name, r FROM t ORDER BY ${a}${d1}${n1}, ${b}${d2}${n2}, id${limit ? ` LIMIT ${limit}` : ''}`,
        true,
      ),
    );
  const compound = fc
    .tuple(fc.constantFrom('UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'), DIR, NULLS)
    .map(([op, d, n]) =>
      select(`SELECT k, name FROM t ${op} SELECT k, name FROM s ORDER BY 1${d}${n}, 2${n}`, true),
    );
  const window = fc
    .tuple(
      fc.constantFrom('row_number()', 'rank()', 'sum(v)', 'count(*)', 'first_value(id)'),
      fc.constantFrom('k', 'v', 'name'),
      DIR,
      NULLS,
      fc.constantFrom(
        '',
        ' RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING',
        ' ROWS BETWEEN 1 PRECEDING AND CURRENT ROW',
      ),
    )
    .map(([fn0, key, d, n, frame]) => {
      // RANGE with offsets needs one numeric key and then has ties: only peer-blind functions.
      const range = frame.startsWith(' RANGE') && key !== 'name';
      const f = range || !frame.startsWith(' RANGE') ? frame : '';
      const fn = range && (fn0 === 'row_number()' || fn0 === 'first_value(id)') ? 'sum(v)' : fn0;
      const order = range ? `${key}${d}${n}` : `${key}${d}${n}, id`;
      return select(`SELECT id, ${fn} OVER (ORDER BY ${order}${f}) FROM t ORDER BY id`, true);
    });
  return fc.oneof(plain, compound, window);
}

function nestedJoinArb(): fc.Arbitrary<Stmt> {
  const kind = fc.constantFrom('JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'CROSS JOIN');
  return fc
    .tuple(
      kind,
      kind,
      fc.constantFrom('u.k = s.k', 'u.k = s.w', 'u.name = s.name', 's.k > u.k'),
      fc.constantFrom('s.k = t.k', 's.id = t.id', 'u.k = t.v', 't.k IS NOT NULL'),
      fc.constantFrom('t.id, s.id, u.id', 't.k, s.w, u.name', 'count(*)', 's.*, t.id'),
      fc.constantFrom('', ' WHERE t.v IS NOT NULL', ' WHERE u.id IS NULL', ' WHERE s.w > 1'),
      fc.boolean(),
    )
    .map(([outer, inner, innerOn, outerOn, list, where, leading]) => {
      const cross = (k: string, on: string): string => (k === 'CROSS JOIN' ? '' : ` ON ${on}`);
      const from = leading
        ? `(s ${inner} u${cross(inner, innerOn)}) ${outer} t${cross(outer, outerOn)}`
        : `t ${outer} (s ${inner} u${cross(inner, innerOn)})${cross(outer, outerOn)}`;
      return select(`SELECT ${list} FROM ${from}${where}`, false);
    });
}

function semiArb(): fc.Arbitrary<Stmt> {
  const inner = fc.constantFrom(
    '',
    ' WHERE w > 1',
    ' WHERE w IS NULL',
    ' WHERE k IS NOT NULL',
    ' WHERE id < 0',
  );
  const inTerm = fc
    .tuple(fc.constantFrom('k', 'v', 't.id', 'name'), fc.boolean(), fc.constantFrom('k', 'w', 'id'), inner)
    .map(([arg, not, col, w]) => {
      const c = arg === 'name' ? 'name' : col;
      return `${arg} ${not ? 'NOT ' : ''}IN (SELECT ${c} FROM s${w})`;
    });
  const existsTerm = fc
    .tuple(
      fc.boolean(),
      fc.constantFrom(
        's.k = t.k',
        't.v = s.w',
        's.k = t.k AND s.name = t.name',
        's.k > t.k',
        's.k = t.k OR s.k IS NULL',
      ),
      fc.constantFrom('', ' AND s.w > 1', ' AND s.name IS NOT NULL'),
    )
    .map(([not, corr, more]) => `${not ? 'NOT ' : ''}EXISTS (SELECT 1 FROM s WHERE ${corr}${more})`);
  const term = fc.oneof(inTerm, existsTerm);
  const more = fc.constantFrom('', ' AND t.k IS NOT NULL', ' OR t.v IS NULL', ' AND t.id > 1');
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(term, more)
        .map(([x, m]) => select(`SELECT id, k, v, name FROM t WHERE ${x}${m} ORDER BY id`, true)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(term, more)
        .map(([x, m]) => select(`SELECT k, count(*) FROM t WHERE ${x}${m} GROUP BY k`, false)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(term, more).map(([x, m]) => write(`UPDATE t SET v = -1 WHERE ${x}${m}`)),
    },
    { weight: 1, arbitrary: fc.tuple(term, more).map(([x, m]) => write(`DELETE FROM t WHERE ${x}${m}`)) },
  );
}

export function joinFormsCaseArb(statements: number): fc.Arbitrary<Case> {
  const stmt = fc.oneof(
    { weight: 3, arbitrary: updateFromArb() },
    { weight: 2, arbitrary: nullsOrderArb() },
    { weight: 2, arbitrary: nestedJoinArb() },
    { weight: 3, arbitrary: semiArb() },
  );
  return fc
    .tuple(
      ddlArb(),
      rowsArb('t', 8),
      rowsArb('s', 10),
      rowsArb('u', 5),
      fc.array(stmt, { minLength: statements, maxLength: statements }),
    )
    .map(([ddl, t, s, u, stmts]) => ({ cols: [], inserts: [...t, ...s, ...u], stmts, ddl }));
}
