/**
 * Property: every join plan the planner chooses (index nested loop, hash join, nested loop, with
 * predicates pushed into either side and inner joins turned round) returns the same bag of rows
 * as the naive plan — a NestedLoopJoin over whole scans with every predicate above it — over
 * random data with NULL and duplicate keys and orphans, for every join kind.
 */
import fc from 'fast-check';
import { Database } from '../../src/index';
import type { IndexDescriptor } from '../../src/index';
import { lowerStatement } from '../../parser/lower-statement';
import type { CatalogReader } from '../../parser/lower-statement';
import { planQuery } from '../../planner/physical-planner';
import type { Catalog } from '../../planner/physical-planner';
import { openResult } from '../../planner/run';
import type { PhysicalPlan } from '../../planner/physical';
import { valueKey } from '../../planner/value-key';

interface Row {
  id: number;
  a: number | null;
  b: string | null;
  c: number | null;
}

const rowArb = (id: number): fc.Arbitrary<Row> =>
  fc.record({
    id: fc.constant(id),
    a: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
    b: fc.option(fc.constantFrom('a', 'b', 'ab'), { freq: 4 }),
    c: fc.option(fc.integer({ min: 0, max: 8 }), { freq: 4 }),
  });

const rowsArb = fc
  .integer({ min: 0, max: 12 })
  .chain((n) =>
    n === 0 ? fc.constant([]) : fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(i + 1))),
  );

const JOINS = ['JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'CROSS JOIN', ','];

const ON = [
  'x.a = y.a',
  'y.a = x.a AND y.c > 2',
  'y.a = x.a AND y.c = 2',
  'x.c = y.id',
  'y.c = x.id',
  'x.a = y.a AND x.b = y.b',
  'x.a = y.c OR y.b IS NULL',
  'x.a < y.a',
  'x.a = y.a AND x.b IS NOT NULL',
];

const WHERE = [
  '',
  ' WHERE x.b IS NOT NULL',
  ' WHERE y.c = 2',
  ' WHERE y.id IS NULL',
  ' WHERE x.a = y.c',
  ' WHERE x.id = 3',
  ' WHERE y.id = 2',
];

const queryArb = fc
  .record({
    join: fc.constantFrom(...JOINS),
    on: fc.constantFrom(...ON),
    where: fc.constantFrom(...WHERE),
    swap: fc.boolean(),
    third: fc.constantFrom(
      '',
      ' LEFT JOIN l AS z ON z.id = y.c',
      ' JOIN r AS z ON z.a = x.a',
      ' FULL JOIN r AS z ON z.id = y.id',
    ),
  })
  .map(({ join, on, where, swap, third }) => {
    const [first, second] = swap ? ['r', 'l'] : ['l', 'r'];
    const constraint = join === ',' || join === 'CROSS JOIN' ? '' : ` ON ${on}`;
    const glue = join === ',' ? ',' : ` ${join}`;
    return `SELECT * FROM ${first} AS x${glue} ${second} AS y${constraint}${third}${where}`;
  });

const indexesArb = fc.record({
  l: fc.constantFrom<IndexDescriptor[][]>([], [{ name: 'l_a', path: 'a', kind: 'index' }]),
  r: fc.constantFrom<IndexDescriptor[][]>(
    [],
    [{ name: 'r_a', path: 'a', kind: 'index' }],
    [{ name: 'r_ac', paths: ['a', 'c'], kind: 'index' }],
    [{ name: 'r_c', path: 'c', kind: 'index' }],
  ),
});

function open(indexes: { l: IndexDescriptor[]; r: IndexDescriptor[] }, l: Row[], r: Row[]): Database {
  const db = Database.openInMemory();
  const fields = [
    { path: 'id', type: 'int64' as const },
    { path: 'a', type: { optional: 'int64' as const } },
    { path: 'b', type: { optional: 'string' as const } },
    { path: 'c', type: { optional: 'int64' as const } },
  ];
  db.registerCollection('l', fields, 'id', indexes.l);
  db.registerCollection('r', fields, 'id', indexes.r);
  db.transaction(() => {
    for (const row of l) db.insert('l', { ...row });
    for (const row of r) db.insert('r', { ...row });
  });
  return db;
}

function run(db: Database, plan: PhysicalPlan): string[] {
  const view = db.readView();
  const { source } = openResult(plan, view, { readers: { readRow: (loc) => db.storage.readRow(loc) } });
  const out: string[] = [];
  for (let row = source.next(); row !== null; row = source.next()) out.push(row.map(valueKey).join('|'));
  return out.sort();
}

function kinds(plan: PhysicalPlan, out: Set<string>): void {
  out.add(plan.kind);
  for (const v of Object.values(plan))
    if (v && typeof v === 'object' && 'kind' in v && typeof (v as { kind: unknown }).kind === 'string')
      kinds(v as PhysicalPlan, out);
}

test('every join plan returns the naive nested loop bag', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(
      indexesArb,
      rowsArb,
      rowsArb,
      fc.array(queryArb, { minLength: 4, maxLength: 4 }),
      (ix, l, r, qs) => {
        const db = open(ix, l, r);
        try {
          const view = db.readView();
          const reader: CatalogReader = {
            collection: (name) => {
              const c = view.collections.get(name);
              return c ? { schema: c.meta.schema, compiled: c.compiled } : undefined;
            },
          };
          const chosen: Catalog = { collection: (name) => view.collections.get(name) };
          const naive: Catalog = { ...chosen, naiveJoins: true };
          for (const sql of qs) {
            const { stmt } = lowerStatement(sql, reader);
            if (stmt.kind !== 'select') throw new Error(`not a SELECT: ${sql}`);
            const plan = planQuery(stmt.plan, chosen);
            kinds(plan, seen);
            const reference = run(db, planQuery(stmt.plan, naive));
            expect({ sql, rows: run(db, plan) }).toEqual({ sql, rows: reference });
          }
        } finally {
          db.close();
        }
      },
    ),
    { seed: 4242, numRuns: 150 },
  );
  // The random queries reach every join operator and both push-down targets.
  for (const k of ['IndexNestedLoopJoin', 'HashJoin', 'NestedLoopJoin', 'Filter', 'PrimaryKeyLookup'])
    expect(seen).toContain(k);
});
