/**
 * Differential cases for composite keys (issue 12, item 6): a table with a composite PRIMARY KEY
 * (then `id` is a NOT NULL UNIQUE column and the table has a hidden rowid, as in SQLite) or a
 * composite UNIQUE, plus a multi-column index with ASC/DESC columns. Key columns draw from tiny
 * value pools so that whole-key clashes, NULLs in keys and prefix matches are common; queries use
 * equality prefixes, one range on the next column and orderings the index may answer; writes
 * clash and resolve through OR IGNORE / OR REPLACE / UPSERT on the composite target.
 */
import fc from 'fast-check';
import type { Case, Col, Stmt } from './literals';
import { colsArb, insertArb, statementArb } from './generate';

/** The key columns: small pools (with NULL when nullable) so tuples repeat. */
const KEY_VALUES: Record<'INTEGER' | 'TEXT', readonly string[]> = {
  INTEGER: ['0', '1', '2', '-1'],
  TEXT: ["'a'", "'b'", "'B'", "''"],
};

interface Shape {
  cols: Col[];
  keys: Col[];
  /** Composite PRIMARY KEY (else a composite UNIQUE). */
  primary: boolean;
  /** The extra CREATE INDEX: its columns and directions, or null. */
  index: { cols: Col[]; desc: boolean[]; unique: boolean } | null;
}

function keyValueArb(c: Col): fc.Arbitrary<string> {
  const pool = KEY_VALUES[c.type as 'INTEGER' | 'TEXT'];
  return c.notNull ? fc.constantFrom(...pool) : fc.constantFrom(...pool, 'NULL');
}

const keyColArb = (i: number): fc.Arbitrary<Col> =>
  fc
    .record({ type: fc.constantFrom<'INTEGER' | 'TEXT'>('INTEGER', 'TEXT'), notNull: fc.boolean() })
    .map((k) => ({
      name: `k${i}`,
      type: k.type,
      notNull: k.notNull,
      indexed: false,
    }));

/** A function, not a constant: generate.ts imports this module before colsArb exists. */
function shapeArb(): fc.Arbitrary<Shape> {
  return fc
    .tuple(
      // Other columns: no single-column UNIQUE and no collation, so the composite key decides.
      colsArb.map((cs) => cs.map(({ collate: _c, ...c }) => ({ ...c, unique: false }))),
      fc.tuple(keyColArb(0), keyColArb(1), keyColArb(2)),
      fc.boolean(),
      fc.integer({ min: 2, max: 3 }),
      fc.option(
        fc.record({
          order: fc.constantFrom([0, 1], [1, 0], [1, 2], [0, 1, 2], [2, 0], [1]),
          desc: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
          unique: fc.boolean(),
        }),
        { freq: 3 },
      ),
    )
    .map(([others, keyCols, primary, width, ix]) => {
      const keys = keyCols.slice(0, width);
      return {
        cols: [...keyCols, ...others],
        keys,
        primary,
        index: ix && {
          cols: ix.order.map((i) => keyCols[i]),
          desc: ix.order.map((_, i) => ix.desc[i]),
          unique: ix.unique,
        },
      };
    });
}

function ddl(s: Shape): string[] {
  const defs = s.cols.map((c) => `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}`);
  const keyList = s.keys.map((c) => c.name).join(', ');
  const table = s.primary
    ? `CREATE TABLE t (id INTEGER NOT NULL UNIQUE, ${defs.join(', ')}, PRIMARY KEY (${keyList}))`
    : `CREATE TABLE t (id INTEGER PRIMARY KEY, ${defs.join(', ')}, UNIQUE (${keyList}))`;
  const out = [table];
  if (s.index) {
    const cols = s.index.cols.map((c, i) => `${c.name}${s.index?.desc[i] ? ' DESC' : ''}`);
    out.push(`CREATE ${s.index.unique ? 'UNIQUE ' : ''}INDEX ix ON t (${cols.join(', ')})`);
  }
  return out;
}

/** Rows whose key columns come from the small pools. */
function keyedInsert(s: Shape, firstId: number, verb: string): fc.Arbitrary<Stmt> {
  const rowArb = fc.tuple(...s.cols.map((c) => (c.name.startsWith('k') ? keyValueArb(c) : valueOf(c))));
  return fc.array(rowArb, { minLength: 1, maxLength: 4 }).map((rows) => ({
    sql: `${verb} INTO t (id, ${s.cols.map((c) => c.name).join(', ')}) VALUES ${rows.map((r, i) => `(${firstId + i}, ${r.join(', ')})`).join(', ')}`,
    params: [],
    ordered: false,
    kind: 'write' as const,
  }));
}

function valueOf(c: Col): fc.Arbitrary<string> {
  const lit = c.type === 'INTEGER' ? ['0', '1', '7'] : c.type === 'TEXT' ? ["'x'", "'y'"] : null;
  if (lit) return fc.constantFrom(...lit, ...(c.notNull ? [] : ['NULL']));
  // Other types: a typed literal that every engine accepts for the column.
  const typed: Record<string, string> = { REAL: '1.5', BLOB: "x'01'", BOOLEAN: '1' };
  return fc.constant(typed[c.type]);
}

/** Equality on a leftmost prefix of the key or index columns, maybe one range on the next. */
function prefixWhere(columns: readonly Col[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: columns.length }),
      fc.constantFrom('>', '>=', '<', '<=', 'BETWEEN', 'IS NULL', ''),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    )
    .chain(([n, op, nulls]) => {
      const eq = columns.slice(0, n);
      const next = columns[n];
      const terms = eq.map((c, i) =>
        nulls[i] && !c.notNull
          ? fc.constant(`${c.name} IS NULL`)
          : fc.constantFrom(...KEY_VALUES[c.type as 'INTEGER' | 'TEXT']).map((v) => `${c.name} = ${v}`),
      );
      if (next && op) {
        const pool = KEY_VALUES[next.type as 'INTEGER' | 'TEXT'];
        if (op === 'IS NULL') terms.push(fc.constant(`${next.name} IS NULL`));
        else if (op === 'BETWEEN')
          terms.push(
            fc
              .tuple(fc.constantFrom(...pool), fc.constantFrom(...pool))
              .map(([a, b]) => `${next.name} BETWEEN ${a} AND ${b}`),
          );
        else terms.push(fc.constantFrom(...pool).map((v) => `${next.name} ${op} ${v}`));
      }
      return terms.length === 0 ? fc.constant('') : fc.tuple(...terms).map((ts) => ts.join(' AND '));
    });
}

/**
 * A row-value range on the columns after an equality prefix, `k0 = 1 AND (k1, k2) > ('a', NULL)`:
 * the keyset-pagination shape the planner answers from a composite index (NULL items, DESC
 * columns and rows longer than the index included).
 */
function rowWhere(columns: readonly Col[]): fc.Arbitrary<string> {
  if (columns.length < 2) return fc.constant('');
  return fc
    .tuple(
      fc.integer({ min: 0, max: columns.length - 2 }),
      fc.constantFrom('>', '>=', '<', '<='),
      fc.boolean(),
    )
    .chain(([n, op, withId]) => {
      const eq = columns.slice(0, n).map((c) => keyValueArb(c).map((v) => `${c.name} IS ${v}`));
      const ranged = columns.slice(n);
      const items = ranged.map((c) => keyValueArb(c));
      const names = ranged.map((c) => c.name);
      if (withId) {
        names.push('id');
        items.push(fc.constantFrom('1000', '1030', 'NULL'));
      }
      return fc
        .tuple(fc.tuple(...eq), fc.tuple(...items))
        .map(([e, vs]) => [...e, `(${names.join(', ')}) ${op} (${vs.join(', ')})`].join(' AND '));
    });
}

function prefixSelect(s: Shape): fc.Arbitrary<Stmt> {
  return fc
    .constantFrom(...(s.index ? [s.keys, s.index.cols] : [s.keys]))
    .chain((columns) => prefixSelectOn(columns));
}

function prefixSelectOn(columns: readonly Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.oneof({ weight: 3, arbitrary: prefixWhere(columns) }, { weight: 1, arbitrary: rowWhere(columns) }),
      fc.subarray(columns.map((c) => c.name)),
      fc.constantFrom('', ' DESC'),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 3 }), { freq: 2 }),
    )
    .map(([where, order, dir, mixed, limit]) => {
      // ORDER BY a prefix of the columns (one direction, or mixed), always ending in id so the
      // order of every row is fixed.
      const keys = order.map((c, i) => `${c}${mixed && i % 2 === 1 ? (dir ? '' : ' DESC') : dir}`);
      const tail = limit === null ? '' : ` LIMIT ${limit}`;
      return {
        sql: `SELECT * FROM t${where ? ` WHERE ${where}` : ''} ORDER BY ${[...keys, `id${dir}`].join(', ')}${tail}`,
        params: [],
        ordered: true,
        kind: 'select' as const,
      };
    });
}

function compositeUpsert(s: Shape, nextId: () => number): fc.Arbitrary<Stmt> {
  const names = s.keys.map((c) => c.name);
  return fc
    .tuple(
      keyedInsert(s, nextId(), 'INSERT'),
      // Mostly the key (in either column order); sometimes a list no constraint matches.
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(names, [...names].reverse()) },
        { weight: 1, arbitrary: fc.constantFrom(names.slice(0, 1), [...names, 'id']) },
      ),
      fc.constantFrom(
        'DO NOTHING',
        'DO UPDATE SET id = excluded.id + 100000',
        `DO UPDATE SET ${s.cols[s.cols.length - 1].name} = excluded.${s.cols[s.cols.length - 1].name}`,
        `DO UPDATE SET ${names[0]} = excluded.${names[0]} WHERE excluded.id % 2 = 0`,
      ),
      fc.boolean(),
    )
    .map(([ins, target, action, chain]) => ({
      ...ins,
      sql: `${ins.sql} ON CONFLICT (${target.join(', ')}) ${action}${chain ? ' ON CONFLICT DO NOTHING' : ''}`,
    }));
}

function keyUpdate(s: Shape): fc.Arbitrary<Stmt> {
  return fc.tuple(fc.constantFrom(...s.keys), prefixWhere(s.keys)).chain(([c, where]) =>
    keyValueArb(c).map((v) => ({
      sql: `UPDATE t SET ${c.name} = ${v}${where ? ` WHERE ${where}` : ''}`,
      params: [],
      ordered: false,
      kind: 'write' as const,
    })),
  );
}

function keyDelete(s: Shape): fc.Arbitrary<Stmt> {
  return prefixWhere(s.keys).map((where) => ({
    sql: `DELETE FROM t${where ? ` WHERE ${where}` : ''}`,
    params: [],
    ordered: false,
    kind: 'write' as const,
  }));
}

function compositeStatementArb(s: Shape, nextId: () => number): fc.Arbitrary<Stmt> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(null).chain(() => prefixSelect(s)) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('INSERT', 'INSERT OR IGNORE', 'INSERT OR REPLACE', 'REPLACE')
        .chain((verb) => keyedInsert(s, nextId(), verb)),
    },
    { weight: 3, arbitrary: fc.constant(null).chain(() => compositeUpsert(s, nextId)) },
    { weight: 2, arbitrary: keyUpdate(s) },
    { weight: 1, arbitrary: keyDelete(s) },
    { weight: 4, arbitrary: statementArb(s.cols, nextId) },
  );
}

/** A differential case over a table with composite keys. */
export function compositeCaseArb(statements: number): fc.Arbitrary<Case> {
  return shapeArb().chain((s) => {
    let id = 1000;
    const nextId = (): number => (id += 10);
    const inserts = fc.array(
      fc
        .constant(null)
        .chain(() => fc.oneof(keyedInsert(s, nextId(), 'INSERT OR IGNORE'), insertArb(s.cols, nextId()))),
      { minLength: 2, maxLength: 8 },
    );
    const stmts = fc.array(compositeStatementArb(s, nextId), {
      minLength: statements,
      maxLength: statements,
    });
    return fc
      .tuple(inserts, stmts)
      .map(([ins, st]) => ({ cols: s.cols, inserts: ins, stmts: st, ddl: ddl(s) }));
  });
}
