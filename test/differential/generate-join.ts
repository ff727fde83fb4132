/**
 * Differential joins: three tables shaped like a foreign key — parents `p`, children `c` whose
 * `pid` points at a parent, is NULL, or points at nothing (orphans), and a third table `t`
 * (often empty) — with duplicate and NULL join keys, random indexes (so the planner picks index
 * nested loops, hash joins and nested loops), and SELECTs over two or three sources: every join
 * kind (comma, [INNER], LEFT [OUTER], RIGHT, FULL, CROSS, NATURAL, USING, ON with equalities,
 * inequalities and extra terms), self joins, derived tables, `*`, `t.*`, aggregates with GROUP BY,
 * DISTINCT, WHERE terms on either side (anti-joins through IS NULL), uncorrelated and correlated
 * subqueries, and compounds. Rows are compared as a multiset unless ORDER BY names every output column.
 */
import fc from 'fast-check';
import type { Case, Stmt } from './literals';

interface Table {
  readonly name: 'p' | 'c' | 't';
  /** Columns besides `id` (INTEGER PRIMARY KEY). */
  readonly cols: readonly { name: string; type: 'INTEGER' | 'TEXT' | 'REAL' }[];
}

const TABLES: readonly Table[] = [
  {
    name: 'p',
    cols: [
      { name: 'k', type: 'INTEGER' },
      { name: 'name', type: 'TEXT' },
      { name: 'v', type: 'REAL' },
    ],
  },
  {
    name: 'c',
    cols: [
      { name: 'pid', type: 'INTEGER' },
      { name: 'k', type: 'INTEGER' },
      { name: 'name', type: 'TEXT' },
    ],
  },
  {
    name: 't',
    cols: [
      { name: 'k', type: 'INTEGER' },
      { name: 'name', type: 'TEXT' },
    ],
  },
];

const NAMES = ["'a'", "'b'", "'c'", "'ab'", 'NULL'];

function rowArb(table: Table, id: number): fc.Arbitrary<string> {
  const value = (c: Table['cols'][number]): fc.Arbitrary<string> => {
    if (c.name === 'pid')
      // A parent (ids 1..6), NULL, or an orphan (no parent has that id).
      return fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }).map(String) },
        { weight: 1, arbitrary: fc.constant('NULL') },
        { weight: 1, arbitrary: fc.constantFrom('40', '41') },
      );
    if (c.type === 'INTEGER')
      return fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) },
        { weight: 1, arbitrary: fc.constant('NULL') },
      );
    if (c.type === 'REAL') return fc.constantFrom('0.5', '1.0', '2.25', 'NULL');
    return fc.constantFrom(...NAMES);
  };
  return fc.tuple(...table.cols.map(value)).map((vs) => `(${id}, ${vs.join(', ')})`);
}

function insertsArb(table: Table): fc.Arbitrary<Stmt[]> {
  // The third table is empty in a third of the cases; the others may be empty too, rarely.
  const max = table.name === 'c' ? 10 : 6;
  const min = table.name === 't' ? 0 : 0;
  return fc.integer({ min, max }).chain((n) =>
    n === 0
      ? fc.constant([])
      : fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(table, i + 1))).map((rows) => [
          {
            sql: `INSERT INTO ${table.name} VALUES ${rows.join(', ')}`,
            params: [],
            ordered: false,
            kind: 'write' as const,
          },
        ]),
  );
}

function ddlArb(): fc.Arbitrary<string[]> {
  return fc
    .record({
      pk: fc.boolean(),
      ck: fc.boolean(),
      cpid: fc.constantFrom('none', 'pid', 'pid_k'),
      tk: fc.boolean(),
    })
    .map((ix) => [
      'CREATE TABLE p (id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL)',
      'CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, k INTEGER, name TEXT)',
      'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, name TEXT)',
      ...(ix.pk ? ['CREATE INDEX p_k ON p (k)'] : []),
      ...(ix.ck ? ['CREATE INDEX c_k ON c (k)'] : []),
      ...(ix.cpid === 'pid' ? ['CREATE INDEX c_pid ON c (pid)'] : []),
      ...(ix.cpid === 'pid_k' ? ['CREATE INDEX c_pid_k ON c (pid, k)'] : []),
      ...(ix.tk ? ['CREATE INDEX t_k ON t (k)'] : []),
    ]);
}

interface Source {
  readonly table: Table;
  readonly alias: string;
  /** The FROM text of the source (a table with its alias, or a derived table). */
  readonly text: string;
  /** Columns visible through the alias. */
  readonly cols: readonly { name: string; type: string }[];
}

function sourceArb(alias: string): fc.Arbitrary<Source> {
  const derived = (table: Table): fc.Arbitrary<Source> =>
    fc
      .constantFrom(
        `(SELECT id, k, name FROM ${table.name} WHERE k IS NOT NULL)`,
        `(SELECT k, count(*) AS n FROM ${table.name} GROUP BY k)`,
        `(SELECT DISTINCT k, name FROM ${table.name})`,
      )
      .map((text) => {
        const cols = text.includes('count(*)')
          ? [
              { name: 'k', type: 'INTEGER' },
              { name: 'n', type: 'INTEGER' },
            ]
          : text.includes('DISTINCT')
            ? [
                { name: 'k', type: 'INTEGER' },
                { name: 'name', type: 'TEXT' },
              ]
            : [
                { name: 'id', type: 'INTEGER' },
                { name: 'k', type: 'INTEGER' },
                { name: 'name', type: 'TEXT' },
              ];
        return { table, alias, text: `${text} AS ${alias}`, cols };
      });
  return fc.constantFrom(...TABLES).chain((table) =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.constant<Source>({
          table,
          alias,
          text: `${table.name} AS ${alias}`,
          cols: [{ name: 'id', type: 'INTEGER' }, ...table.cols],
        }),
      },
      { weight: 1, arbitrary: derived(table) },
    ),
  );
}

/** An ON condition between `a` (some earlier source) and `b`. */
function onArb(a: Source, b: Source): fc.Arbitrary<string> {
  const pairs: string[] = [];
  for (const x of a.cols)
    for (const y of b.cols)
      if (x.type === y.type && x.type !== 'REAL') pairs.push(`${a.alias}.${x.name} = ${b.alias}.${y.name}`);
  const ints = (s: Source) => s.cols.filter((c) => c.type === 'INTEGER').map((c) => `${s.alias}.${c.name}`);
  const extra = fc.constantFrom(
    `${b.alias}.id > 1`,
    `${a.alias}.id <> 2`,
    `${b.alias}.${b.cols[1].name} IS NOT NULL`,
    `${a.alias}.${a.cols[1].name} IS NULL`,
    '1',
  );
  const base = pairs.length
    ? fc.constantFrom(...pairs)
    : fc.constant(`${ints(a)[0] ?? '1'} = ${ints(b)[0] ?? '1'}`);
  return fc.oneof(
    { weight: 5, arbitrary: base },
    { weight: 2, arbitrary: fc.tuple(base, extra).map(([x, y]) => `${x} AND ${y}`) },
    { weight: 1, arbitrary: fc.tuple(base, extra).map(([x, y]) => `(${x} OR ${y})`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...ints(a)), fc.constantFrom(...ints(b)), fc.constantFrom('<', '>=', '<>'))
        .map(([x, y, op]) => `${x} ${op} ${y}`),
    },
  );
}

const JOINS = [
  'JOIN',
  'INNER JOIN',
  'LEFT JOIN',
  'LEFT OUTER JOIN',
  'RIGHT JOIN',
  'FULL JOIN',
  'FULL OUTER JOIN',
];

/** `op source constraint` joining `b` to the sources before it. */
function joinArb(before: readonly Source[], b: Source): fc.Arbitrary<string> {
  const a = before[before.length - 1];
  const common = b.cols.filter((c) => before.some((s) => s.cols.some((x) => x.name === c.name)));
  // USING needs its column in exactly one source on the left (else SQLite calls it ambiguous).
  const usable = common.filter(
    (c) => before.filter((s) => s.cols.some((x) => x.name === c.name)).length === 1,
  );
  const options: fc.Arbitrary<string>[] = [
    fc.tuple(fc.constantFrom(...JOINS), onArb(a, b)).map(([op, on]) => `${op} ${b.text} ON ${on}`),
    fc.tuple(fc.constantFrom(...JOINS), onArb(before[0], b)).map(([op, on]) => `${op} ${b.text} ON ${on}`),
    fc.constant(`CROSS JOIN ${b.text}`),
    fc.constant(`, ${b.text}`),
  ];
  if (usable.length)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...JOINS),
          fc.subarray(
            usable.map((c) => c.name),
            { minLength: 1 },
          ),
        )
        .map(([op, cols]) => `${op} ${b.text} USING (${cols.join(', ')})`),
    );
  if (before.length === 1 && usable.length === common.length)
    options.push(
      fc
        .constantFrom('NATURAL JOIN', 'NATURAL LEFT JOIN', 'NATURAL FULL JOIN')
        .map((op) => `${op} ${b.text}`),
    );
  return fc.oneof(...options);
}

interface Query {
  readonly from: string;
  readonly sources: readonly Source[];
}

function fromArb(): fc.Arbitrary<Query> {
  return fc.integer({ min: 2, max: 3 }).chain((n) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => sourceArb(`x${i + 1}`))).chain((sources) => {
      const joins = sources.slice(1).map((s, i) => joinArb(sources.slice(0, i + 1), s));
      return fc
        .tuple(...joins)
        .map((js) => ({ from: `${sources[0].text} ${js.join(' ')}`.replace(/ ,/g, ','), sources }));
    }),
  );
}

function colRef(q: Query): fc.Arbitrary<string> {
  return fc.constantFrom(...q.sources.flatMap((s) => s.cols.map((c) => `${s.alias}.${c.name}`)));
}

function whereArb(q: Query): fc.Arbitrary<string> {
  const ints = q.sources.flatMap((s) =>
    s.cols.filter((c) => c.type === 'INTEGER').map((c) => `${s.alias}.${c.name}`),
  );
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...ints), fc.constantFrom('> 0', '= 1', '<= 2', 'IS NULL', 'IS NOT NULL'))
      .map(([c, t]) => `${c} ${t}`),
    fc.tuple(colRef(q), colRef(q)).map(([x, y]) => `${x} IS ${y}`),
    fc.constantFrom(...ints).map((c) => `${c} IN (SELECT k FROM t)`),
    fc.constantFrom(...ints).map((c) => `${c} NOT IN (SELECT pid FROM c WHERE pid IS NOT NULL)`),
    fc.tuple(fc.constantFrom(...ints), fc.constantFrom(...ints)).map(([x, y]) => `(${x} = 1 OR ${y} = 2)`),
    // Correlated subqueries: the inner query reads a column of the join.
    fc
      .tuple(fc.constantFrom(...ints), fc.constantFrom('EXISTS', 'NOT EXISTS'))
      .map(([c, op]) => `${op} (SELECT 1 FROM t WHERE t.k = ${c})`),
    fc.constantFrom(...ints).map((c) => `${c} IN (SELECT c.k FROM c WHERE c.pid = ${c})`),
    fc.constantFrom(...ints).map((c) => `(SELECT count(*) FROM c WHERE c.k <= ${c}) > 2`),
  );
}

function selectArb(q: Query): fc.Arbitrary<Stmt> {
  const where = fc.option(whereArb(q), { freq: 2 });
  const plain = fc
    .tuple(
      fc.oneof(
        fc.constant('*'),
        fc.constantFrom(...q.sources.map((s) => `${s.alias}.*`)),
        fc.array(colRef(q), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(', ')),
      ),
      fc.boolean(),
      where,
      fc.boolean(),
      fc.integer({ min: 0, max: 4 }),
    )
    .map(([list, distinct, w, ordered, limit]): Stmt => {
      const sql = `SELECT ${distinct ? 'DISTINCT ' : ''}${list} FROM ${q.from}${w ? ` WHERE ${w}` : ''}`;
      if (!ordered) return { sql, params: [], ordered: false, kind: 'select' };
      // Ordering by every output column (positions) makes the order total.
      return {
        sql: `SELECT * FROM (${sql}) ORDER BY ${widthOf(list, q)
          .map((i) => String(i))
          .join(', ')}${limit ? ` LIMIT ${limit}` : ''}`,
        params: [],
        ordered: true,
        kind: 'select',
      };
    });
  const grouped = fc.tuple(colRef(q), colRef(q), where, fc.boolean()).map(([g, x, w, having]): Stmt => ({
    sql: `SELECT ${g}, count(*), count(${x}), max(${x}) FROM ${q.from}${w ? ` WHERE ${w}` : ''} GROUP BY ${g}${having ? ' HAVING count(*) > 1' : ''}`,
    params: [],
    ordered: false,
    kind: 'select',
  }));
  const compound = fc
    .tuple(colRef(q), fc.constantFrom('UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'))
    .map(([x, op]): Stmt => ({
      sql: `SELECT ${x} FROM ${q.from} ${op} SELECT k FROM t`,
      params: [],
      ordered: false,
      kind: 'select',
    }));
  return fc.oneof(
    { weight: 6, arbitrary: plain },
    { weight: 2, arbitrary: grouped },
    { weight: 1, arbitrary: compound },
  );
}

/** 1-based positions of every output column of `SELECT list FROM q`. */
function widthOf(list: string, q: Query): number[] {
  let n: number;
  if (list === '*') n = -1;
  else if (list.endsWith('.*')) n = q.sources.find((s) => `${s.alias}.*` === list)?.cols.length ?? 1;
  else n = list.split(', ').length;
  // `*` hides USING / NATURAL columns: order by the first column only when the width is unknown;
  // the caller then compares a total order only where it is one (see joinStatementArb).
  if (n < 0) n = 1;
  return Array.from({ length: n }, (_, i) => i + 1);
}

function joinStatementArb(): fc.Arbitrary<Stmt> {
  return fromArb()
    .chain(selectArb)
    .map((s) =>
      // `SELECT *` under ORDER BY 1 alone is not a total order: compare it as a multiset, without LIMIT.
      s.ordered && /^SELECT \* FROM \(SELECT (DISTINCT )?\* FROM/.test(s.sql)
        ? { ...s, sql: s.sql.replace(/ LIMIT \d+$/, ''), ordered: false }
        : s,
    );
}

export function joinCaseArb(statements: number): fc.Arbitrary<Case> {
  return fc
    .tuple(
      ddlArb(),
      fc.tuple(...TABLES.map(insertsArb)),
      fc.array(joinStatementArb(), { minLength: statements, maxLength: statements }),
    )
    .map(([ddl, inserts, stmts]) => ({ cols: [], inserts: inserts.flat(), stmts, ddl }));
}
