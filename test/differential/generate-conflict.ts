/**
 * fast-check generator for conflict-resolution cases (SQLite's ON CONFLICT algorithms): a table
 * with an INTEGER PRIMARY KEY and some of UNIQUE, composite UNIQUE, NOT NULL (with or without a
 * DEFAULT) and CHECK constraints, each constraint with or without its own ON CONFLICT clause, rows from small value domains so that constraints clash, and a
 * sequence of INSERT (multi-row, INSERT … SELECT, REPLACE INTO) and UPDATE statements under each
 * `OR` policy, some with RETURNING, mixed with BEGIN / COMMIT / ROLLBACK. run-conflict.ts runs
 * them on both engines.
 */
import fc from 'fast-check';

export const POLICIES = ['', ' OR ROLLBACK', ' OR ABORT', ' OR FAIL', ' OR IGNORE', ' OR REPLACE'] as const;

export interface ConflictTable {
  /** a INTEGER [UNIQUE] */
  readonly aUnique: boolean;
  /** b TEXT [COLLATE NOCASE | RTRIM] [NOT NULL] [DEFAULT 'd']: UNIQUE (b, d) compares b under it. */
  readonly bCollate: '' | ' COLLATE NOCASE' | ' COLLATE RTRIM';
  readonly bNotNull: boolean;
  readonly bDefault: boolean;
  /** c INTEGER [NOT NULL] [CHECK (c >= 0)] */
  readonly cNotNull: boolean;
  readonly cCheck: boolean;
  /** UNIQUE (b, d) */
  readonly bdUnique: boolean;
  /**
   * `ON CONFLICT …` of the constraints (null: none): the primary key, a's UNIQUE, b's and c's
   * NOT NULL, UNIQUE (b, d). They decide for statements without an OR clause.
   */
  readonly on: {
    readonly id: string | null;
    readonly a: string | null;
    readonly b: string | null;
    readonly c: string | null;
    readonly bd: string | null;
  };
}

export interface ConflictCase {
  readonly ddl: string[];
  readonly stmts: string[];
}

const algorithmArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom('ROLLBACK', 'ABORT', 'FAIL', 'IGNORE', 'REPLACE') },
);

const tableArb: fc.Arbitrary<ConflictTable> = fc.record({
  aUnique: fc.boolean(),
  bCollate: fc.constantFrom('' as const, ' COLLATE NOCASE' as const, ' COLLATE RTRIM' as const),
  bNotNull: fc.boolean(),
  bDefault: fc.boolean(),
  cNotNull: fc.boolean(),
  cCheck: fc.boolean(),
  bdUnique: fc.boolean(),
  on: fc.record({ id: algorithmArb, a: algorithmArb, b: algorithmArb, c: algorithmArb, bd: algorithmArb }),
});

const onConflict = (algorithm: string | null): string =>
  algorithm === null ? '' : ` ON CONFLICT ${algorithm}`;

export function conflictDdl(t: ConflictTable): string[] {
  const cols = [
    `id INTEGER PRIMARY KEY${onConflict(t.on.id)}`,
    `a INTEGER${t.aUnique ? ` UNIQUE${onConflict(t.on.a)}` : ''}`,
    `b TEXT${t.bCollate}${t.bNotNull ? ` NOT NULL${onConflict(t.on.b)}` : ''}${t.bDefault ? " DEFAULT 'd'" : ''}`,
    `c INTEGER${t.cNotNull ? ` NOT NULL${onConflict(t.on.c)}` : ''}${t.cCheck ? ' CHECK (c >= 0)' : ''}`,
    'd INTEGER',
  ];
  if (t.bdUnique) cols.push(`UNIQUE (b, d)${onConflict(t.on.bd)}`);
  return [`CREATE TABLE t (${cols.join(', ')})`];
}

const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 9 }).map(String) },
  { weight: 1, arbitrary: fc.constant('NULL') },
);
const aArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }).map(String) },
  { weight: 1, arbitrary: fc.constant('NULL') },
);
const bArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("'x'", "'y'", "'z'", "'X'", "'x '") },
  { weight: 1, arbitrary: fc.constant('NULL') },
);
const cArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1, max: 5 }).map(String) },
  { weight: 1, arbitrary: fc.constant('NULL') },
);
const dArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }).map(String) },
  { weight: 1, arbitrary: fc.constant('NULL') },
);

const rowArb = fc.tuple(idArb, aArb, bArb, cArb, dArb).map((r) => `(${r.join(', ')})`);

const returningArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(' RETURNING *', ' RETURNING id, a') },
);

const insertValuesArb = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...POLICIES).map((p) => `INSERT${p}`) },
      { weight: 1, arbitrary: fc.constant('REPLACE') },
    ),
    fc.array(rowArb, { minLength: 1, maxLength: 4 }),
    returningArb,
  )
  .map(([verb, rows, ret]) => `${verb} INTO t (id, a, b, c, d) VALUES ${rows.join(', ')}${ret}`);

// The SELECT reads rows in id order: the order rows are inserted in decides which clash comes first.
const insertSelectArb = fc
  .tuple(
    fc.constantFrom(...POLICIES),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: -1, max: 2 }),
    fc.integer({ min: 1, max: 6 }),
    returningArb,
  )
  .map(
    ([p, dk, da, from, ret]) =>
      `INSERT${p} INTO t (id, a, b, c, d) SELECT id + ${dk}, a + ${da}, b, c - 1, d FROM t WHERE id >= ${from} ORDER BY id${ret}`,
  );

const setArb = fc.constantFrom(
  'a = a + 1',
  'a = a - 1',
  'a = 3',
  'a = NULL',
  "b = 'x'",
  "b = 'X'",
  'b = upper(b)',
  'b = NULL',
  'c = c - 2',
  'c = NULL',
  'c = 1',
  'd = d + 1',
  'd = 0',
  'id = id + 1',
  'id = id - 1',
  'id = 5',
);

// WHERE terms on the primary key only: both engines then update rows in id order (docs/sql.md
// "UPDATE order": over an index SQLite may take another order and meet another clash first).
const whereArb = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 1, max: 6 }).map((k) => ` WHERE id >= ${k}`),
  fc.constant(' WHERE id % 2 = 0'),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 8 }))
    .map(([lo, hi]) => ` WHERE id BETWEEN ${lo} AND ${hi}`),
);

const updateArb = fc
  .tuple(
    fc.constantFrom(...POLICIES),
    fc.uniqueArray(setArb, { minLength: 1, maxLength: 2, selector: (s) => s.split(' ')[0] }),
    whereArb,
    returningArb,
  )
  .map(([p, sets, where, ret]) => `UPDATE${p} t SET ${sets.join(', ')}${where}${ret}`);

const statementArb = fc.oneof(
  { weight: 5, arbitrary: insertValuesArb },
  { weight: 2, arbitrary: insertSelectArb },
  { weight: 5, arbitrary: updateArb },
  { weight: 2, arbitrary: fc.constantFrom('BEGIN', 'COMMIT', 'ROLLBACK') },
  { weight: 1, arbitrary: fc.constant('DELETE FROM t WHERE id % 3 = 0') },
);

export function conflictCaseArb(statements: number): fc.Arbitrary<ConflictCase> {
  return fc
    .tuple(
      tableArb,
      fc.array(rowArb, { minLength: 2, maxLength: 6 }),
      fc.array(statementArb, { minLength: statements, maxLength: statements }),
    )
    .map(([table, rows, stmts]) => ({
      ddl: conflictDdl(table),
      // Seed rows go in one by one under OR IGNORE, so clashing seeds leave the table non-empty.
      stmts: [...rows.map((r) => `INSERT OR IGNORE INTO t (id, a, b, c, d) VALUES ${r}`), ...stmts],
    }));
}
