/**
 * fast-check generators for differential cases: a random table (INTEGER/REAL/TEXT/BLOB/BOOLEAN
 * columns, nullable or not, some indexed), random rows, and a sequence of statements across the
 * Tier 1 subset plus INSERT … SELECT, RETURNING and UPSERT. Everything is rendered to SQL text both engines run unchanged; some integer and
 * text operands become bound parameters.
 */
import fc from 'fast-check';
import { aggregateTerms, callPredArb, selectCalls } from './generate-functions';

export type { Case, Col, ColType, Param, Stmt } from './literals';
export { literalArb } from './literals';
import type { Case, Col, ColType, Param, Stmt } from './literals';
import { literalArb, q, realLit, REALS, TEXTS } from './literals';
import { expressionStatementArb } from './generate-expressions';
import { windowStatementArb } from './generate-window';
import { ddlStatementArb } from './generate-ddl';
import { partialIndexStatementArb } from './generate-partial';
import { alterStatementArb } from './generate-alter';
import { introspectionStatementArb } from './generate-introspection';
import { compositeCaseArb } from './generate-composite';
import { jsonSelectArb, jsonUpdateArb } from './generate-json';
import { compoundSelectArb } from './generate-compound';
import { subqueryStatementArb } from './generate-subquery';
import { rowValueStatementArb } from './generate-rowvalue';
import { foreignKeyCaseArb } from './generate-fk';
import { joinCaseArb } from './generate-join';
import { cteStatementArb } from './generate-cte';
import { joinFormsCaseArb } from './generate-join-forms';

const colArb = (i: number): fc.Arbitrary<Col> =>
  fc
    .record({
      type: fc.constantFrom<ColType>('INTEGER', 'INTEGER', 'REAL', 'TEXT', 'TEXT', 'BLOB', 'BOOLEAN'),
      notNull: fc.boolean(),
      indexed: fc.boolean(),
      collate: fc.constantFrom<Col['collate']>(undefined, undefined, 'NOCASE', 'RTRIM'),
      uniqueChance: fc.integer({ min: 0, max: 3 }),
    })
    // A few UNIQUE indexes on INTEGER/TEXT columns give UPSERT targets and conflicts to resolve
    // (never on a collated column: unique indexes are BINARY and refuse declared collations).
    .map(({ collate, uniqueChance, ...c }) => {
      const collated = c.type === 'TEXT' && collate ? collate : undefined;
      return {
        ...c,
        name: `c${i}`,
        ...(collated ? { collate: collated } : {}),
        unique: c.indexed && uniqueChance === 0 && !collated && (c.type === 'INTEGER' || c.type === 'TEXT'),
      };
    });

/**
 * Columns whose values can stand for a group: under NOCASE/RTRIM which of several equal values
 * SQLite shows (DISTINCT, a GROUP BY key, MIN/MAX) depends on its sorter, so those are left out.
 */
const groupable = (cols: Col[]): Col[] => cols.filter((c) => !c.collate);

export const colsArb: fc.Arbitrary<Col[]> = fc
  .integer({ min: 2, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => colArb(i))));

function valueArb(col: Col): fc.Arbitrary<string> {
  return col.notNull
    ? literalArb(col.type)
    : fc.oneof({ weight: 4, arbitrary: literalArb(col.type) }, { weight: 1, arbitrary: fc.constant('NULL') });
}

export function insertArb(cols: Col[], firstId: number): fc.Arbitrary<Stmt> {
  return fc.array(fc.tuple(...cols.map(valueArb)), { minLength: 1, maxLength: 6 }).map((rows) => ({
    sql: `INSERT INTO t (id, ${cols.map((c) => c.name).join(', ')}) VALUES ${rows.map((r, i) => `(${firstId + i}, ${r.join(', ')})`).join(', ')}`,
    params: [],
    ordered: false,
    kind: 'write' as const,
  }));
}

const numericTypes = (cols: Col[]): Col[] => cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL');

/** A numeric expression over the table's numeric columns. */
function numExprArb(cols: Col[], depth: number): fc.Arbitrary<string> {
  const nums = numericTypes(cols);
  const leaves: fc.Arbitrary<string>[] = [literalArb('INTEGER'), literalArb('REAL'), fc.constant('id')];
  if (nums.length) leaves.push(fc.constantFrom(...nums.map((c) => c.name)));
  const leaf = fc.oneof(...leaves);
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          numExprArb(cols, depth - 1),
          fc.constantFrom('+', '-', '*', '/', '%'),
          numExprArb(cols, depth - 1),
        )
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
    },
    { weight: 1, arbitrary: numExprArb(cols, depth - 1).map((a) => `-(${a})`) },
  );
}

/** A predicate (WHERE / HAVING style) over the table. */
export function predArb(cols: Col[], depth = 2): fc.Arbitrary<string> {
  const byType = (t: ColType): Col[] => cols.filter((c) => c.type === t);
  const atoms: fc.Arbitrary<string>[] = [
    fc
      .tuple(numExprArb(cols, 1), fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>='), numExprArb(cols, 1))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(fc.constantFrom(...cols.map((c) => c.name)), fc.boolean())
      .map(([c, not]) => `${c} IS ${not ? 'NOT ' : ''}NULL`),
  ];
  for (const t of ['INTEGER', 'REAL', 'TEXT', 'BLOB', 'BOOLEAN'] as ColType[]) {
    const cs = byType(t);
    if (!cs.length) continue;
    const col = fc.constantFrom(...cs.map((c) => c.name));
    atoms.push(
      fc
        .tuple(col, fc.constantFrom('=', '!=', '<', '>=', '>'), literalArb(t))
        .map(([c, op, v]) => `${c} ${op} ${v}`),
    );
    atoms.push(
      fc
        .tuple(
          col,
          fc.boolean(),
          fc.array(
            fc.oneof({ weight: 5, arbitrary: literalArb(t) }, { weight: 1, arbitrary: fc.constant('NULL') }),
            { minLength: 1, maxLength: 4 },
          ),
        )
        .map(([c, not, vs]) => `${c} ${not ? 'NOT ' : ''}IN (${vs.join(', ')})`),
    );
    if (t !== 'BLOB')
      atoms.push(
        fc
          .tuple(col, fc.boolean(), literalArb(t), literalArb(t))
          .map(([c, not, a, b]) => `${c} ${not ? 'NOT ' : ''}BETWEEN ${a} AND ${b}`),
      );
    if (t === 'TEXT') {
      atoms.push(
        fc
          .tuple(
            col,
            fc.boolean(),
            fc.constantFrom('a%', 'A%', '%b%', '_', '__', '%', 'ab', 'B_', '%z', 'é%'),
          )
          .map(([c, not, p]) => `${c} ${not ? 'NOT ' : ''}LIKE ${q(p)}`),
      );
    }
    if (t === 'BOOLEAN') atoms.push(col);
  }
  if (depth > 0) atoms.push(callPredArb(cols));
  const atom = fc.oneof(...atoms);
  if (depth <= 0) return atom;
  const sub = predArb(cols, depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: atom },
    {
      weight: 2,
      arbitrary: fc.tuple(sub, fc.constantFrom('AND', 'OR'), sub).map(([a, op, b]) => `(${a} ${op} ${b})`),
    },
    { weight: 1, arbitrary: sub.map((a) => `NOT (${a})`) },
  );
}

const orderKeysArb = (cols: Col[]): fc.Arbitrary<string[]> =>
  fc.array(
    fc
      .tuple(fc.constantFrom(...cols.map((c) => c.name)), fc.constantFrom('', ' ASC', ' DESC'))
      .map(([c, d]) => `${c}${d}`),
    { maxLength: 2 },
  );

const limitArb = fc.option(
  fc
    .tuple(fc.integer({ min: -1, max: 6 }), fc.option(fc.integer({ min: 0, max: 4 })))
    .map(([l, o]) => ` LIMIT ${l}${o === null ? '' : ` OFFSET ${o}`}`),
  { freq: 2 },
);

function selectStar(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(fc.option(predArb(cols), { freq: 2 }), orderKeysArb(cols), limitArb)
    .map(([where, keys, limit]) => ({
      sql: `SELECT * FROM t${where ? ` WHERE ${where}` : ''} ORDER BY ${[...keys, 'id'].join(', ')}${limit ?? ''}`,
      params: [],
      ordered: true,
      kind: 'select' as const,
    }));
}

function selectExprs(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.array(numExprArb(cols, 2), { minLength: 1, maxLength: 3 }),
      fc.option(predArb(cols)),
      fc.boolean(),
    )
    .map(([exprs, where, aliased]) => ({
      sql: `SELECT id, ${exprs.map((e, i) => (aliased ? `${e} AS e${i}` : e)).join(', ')} FROM t${where ? ` WHERE ${where}` : ''} ORDER BY id`,
      params: [],
      ordered: true,
      kind: 'select' as const,
    }));
}

function selectDistinct(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.subarray([...groupable(cols).map((c) => c.name), 'id'], { minLength: 1 }),
      fc.option(predArb(cols)),
    )
    .map(([names, where]) => ({
      sql: `SELECT DISTINCT ${names.join(', ')} FROM t${where ? ` WHERE ${where}` : ''}`,
      params: [],
      ordered: false,
      kind: 'select' as const,
    }));
}

function selectGroup(cols: Col[]): fc.Arbitrary<Stmt> {
  const nums = numericTypes(cols).map((c) => c.name);
  const any = cols.map((c) => c.name);
  const plain = [...groupable(cols).map((c) => c.name), 'id'];
  const aggs: fc.Arbitrary<string>[] = [
    fc.constant('COUNT(*)'),
    fc.constantFrom(...any).map((c) => `COUNT(${c})`),
    fc.constantFrom(...plain).map((c) => `MIN(${c})`),
    fc.constantFrom(...plain).map((c) => `MAX(${c})`),
    fc.constantFrom(...plain).map((c) => `COUNT(DISTINCT ${c})`),
  ];
  if (nums.length) {
    const n = fc.constantFrom(...nums);
    aggs.push(
      n.map((c) => `SUM(${c})`),
      n.map((c) => `AVG(${c})`),
      n.map((c) => `TOTAL(${c})`),
    );
  }
  aggs.push(...aggregateTerms(cols));
  return fc
    .tuple(
      fc.option(fc.constantFrom(...plain)),
      fc.array(fc.oneof(...aggs), { minLength: 1, maxLength: 4 }),
      fc.option(predArb(cols)),
      fc.option(fc.integer({ min: 0, max: 3 })),
    )
    .map(([g, list, where, having]) => {
      const w = where ? ` WHERE ${where}` : '';
      if (!g)
        return {
          sql: `SELECT ${list.join(', ')} FROM t${w}`,
          params: [],
          ordered: true,
          kind: 'select' as const,
        };
      const h = having === null ? '' : ` HAVING COUNT(*) > ${having}`;
      return {
        sql: `SELECT ${g}, ${list.join(', ')} FROM t${w} GROUP BY ${g}${h} ORDER BY ${g}`,
        params: [],
        ordered: true,
        kind: 'select' as const,
      };
    });
}

/** A SELECT whose integer/text literal operands are bound as parameters instead. */
function selectParams(cols: Col[]): fc.Arbitrary<Stmt> {
  const ints = cols.filter((c) => c.type === 'INTEGER').map((c) => c.name);
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  const choices: fc.Arbitrary<{ sql: string; p: Param }>[] = [
    fc.integer({ min: -5, max: 25 }).map((v) => ({ sql: 'id >= ?', p: { sqlite: BigInt(v), mv: v } })),
  ];
  if (ints.length)
    choices.push(
      fc
        .tuple(fc.constantFrom(...ints), fc.integer({ min: -10, max: 20 }))
        .map(([c, v]) => ({ sql: `${c} < ?`, p: { sqlite: BigInt(v), mv: v } })),
    );
  if (texts.length)
    choices.push(
      fc
        .tuple(fc.constantFrom(...texts), fc.constantFrom(...TEXTS))
        .map(([c, v]) => ({ sql: `${c} >= ?`, p: { sqlite: v, mv: v } })),
    );
  return fc
    .tuple(fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 5 }))
    .map(([conds, lim]) => ({
      sql: `SELECT * FROM t WHERE ${conds.map((c) => c.sql).join(' AND ')} ORDER BY id LIMIT ?`,
      params: [...conds.map((c) => c.p), { sqlite: BigInt(lim), mv: lim }],
      ordered: true,
      kind: 'select' as const,
    }));
}

function update(cols: Col[]): fc.Arbitrary<Stmt> {
  const assign = fc.constantFrom(...cols).chain((c): fc.Arbitrary<string> => {
    const lit = c.notNull ? literalArb(c.type) : fc.oneof(literalArb(c.type), fc.constant('NULL'));
    if (c.type === 'INTEGER')
      return fc
        .oneof(
          lit,
          fc.integer({ min: -3, max: 3 }).map((k) => `${c.name} + ${k}`),
        )
        .map((e) => `${c.name} = ${e}`);
    if (c.type === 'REAL')
      return fc
        .oneof(
          lit,
          fc.constantFrom(...REALS).map((k) => `${c.name} * ${realLit(k)}`),
        )
        .map((e) => `${c.name} = ${e}`);
    return lit.map((e) => `${c.name} = ${e}`);
  });
  return fc
    .tuple(
      fc.uniqueArray(assign, { minLength: 1, maxLength: 2, selector: (s) => s.split(' ')[0] }),
      fc.option(predArb(cols)),
      // UPDATE OR …: a clash mid-statement keeps (FAIL), skips (IGNORE) or deletes (REPLACE).
      fc.constantFrom('', '', '', ' OR IGNORE', ' OR REPLACE', ' OR FAIL', ' OR ABORT', ' OR ROLLBACK'),
    )
    .map(([sets, where, or]) => ({
      // Under OR the row order decides which rows clash; SQLite may walk an index for the WHERE
      // where ModelVault updates in primary-key order (docs/sql.md, differences): NOT INDEXED
      // makes both walk the table in key order.
      sql: `UPDATE${or} t${or ? ' NOT INDEXED' : ''} SET ${sets.join(', ')}${where ? ` WHERE ${where}` : ''}`,
      params: [],
      ordered: false,
      kind: 'write' as const,
    }));
}

function remove(cols: Col[]): fc.Arbitrary<Stmt> {
  return predArb(cols).map((where) => ({
    sql: `DELETE FROM t WHERE ${where}`,
    params: [],
    ordered: false,
    kind: 'write' as const,
  }));
}

/**
 * INSERT under each conflict policy (OR IGNORE / REPLACE / ABORT / FAIL / ROLLBACK, REPLACE INTO)
 * or ON CONFLICT DO NOTHING, with ids and values that may clash. Cases run in autocommit, where
 * OR ROLLBACK acts as OR ABORT; test/differential/conflict.test.ts covers explicit transactions.
 */
function conflictInsert(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.constantFrom(
        'INSERT OR IGNORE',
        'INSERT OR REPLACE',
        'INSERT',
        'REPLACE',
        'INSERT OR FAIL',
        'INSERT OR ABORT',
        'INSERT OR ROLLBACK',
      ),
      fc.boolean(),
      fc.integer({ min: 1000, max: 1012 }),
      fc.tuple(...cols.map(valueArb)),
    )
    .map(([verb, doNothing, id, vals]) => ({
      sql: `${verb === 'INSERT' && doNothing ? 'INSERT' : verb} INTO t (id, ${cols.map((c) => c.name).join(', ')}) VALUES (${id}, ${vals.join(', ')})${verb === 'INSERT' && doNothing ? ' ON CONFLICT DO NOTHING' : ''}`,
      params: [],
      ordered: false,
      kind: 'write' as const,
    }));
}

/** Expressions SQLite evaluates with its own conversions: ||, LIKE and IS NULL as values. */
function selectMisc(cols: Col[]): fc.Arbitrary<Stmt> {
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  const ints = cols.filter((c) => c.type === 'INTEGER').map((c) => c.name);
  const exprs: fc.Arbitrary<string>[] = [fc.constantFrom(...cols.map((c) => `${c.name} IS NULL`))];
  if (texts.length) {
    const t = fc.constantFrom(...texts);
    exprs.push(
      t.map((c) => `${c} || 'x'`),
      fc.tuple(t, fc.constantFrom('a%', '_', '%b')).map(([c, p]) => `${c} LIKE '${p}'`),
      t.map((c) => `${c} || ${c}`),
    );
  }
  if (ints.length)
    exprs.push(
      fc.constantFrom(...ints).map((c) => `${c} || '-'`),
      fc.constantFrom(...ints).map((c) => `${c} LIKE '1%'`),
    );
  return fc
    .tuple(fc.array(fc.oneof(...exprs), { minLength: 1, maxLength: 3 }), fc.option(predArb(cols)))
    .map(([list, where]) => ({
      sql: `SELECT id, ${list.join(', ')} FROM t${where ? ` WHERE ${where}` : ''} ORDER BY id`,
      params: [],
      ordered: true,
      kind: 'select' as const,
    }));
}

/** A RETURNING list: `*`, columns, or expressions over the written row. */
function returningArb(cols: Col[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant('*'),
    fc.subarray(['id', ...cols.map((c) => c.name)], { minLength: 1 }).map((names) => names.join(', ')),
    fc
      .array(numExprArb(cols, 1), { minLength: 1, maxLength: 2 })
      .map((es) => ['id', ...es.map((e, i) => (i % 2 ? `${e} AS r${i}` : e))].join(', ')),
  );
}

/** A write with RETURNING: the new rows of INSERT/UPDATE, the old rows of DELETE. */
function returningWrite(cols: Col[], nextId: () => number): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.oneof(update(cols), remove(cols), conflictInsert(cols), upsert(cols), insertSelect(cols, nextId)),
      returningArb(cols),
    )
    .map(([w, list]) => ({ ...w, sql: `${w.sql} RETURNING ${list}`, kind: 'returning' as const }));
}

/**
 * INSERT … SELECT from the same table: either fresh ids (offset past every id in use) or ids that
 * may clash, under each conflict policy; the SELECT must be read before the first row is written.
 */
function insertSelect(cols: Col[], nextId: () => number): fc.Arbitrary<Stmt> {
  const names = cols.map((c) => c.name);
  return fc
    .tuple(
      fc.constantFrom('INSERT', 'INSERT OR IGNORE', 'INSERT OR REPLACE', 'INSERT OR FAIL'),
      fc.constantFrom<'fresh' | 'clash' | 'auto'>('fresh', 'clash', 'auto'),
      fc.option(predArb(cols, 1), { freq: 2 }),
      fc.option(fc.integer({ min: 0, max: 4 })),
    )
    .map(([verb, ids, where, limit]) => {
      const offset = ids === 'fresh' ? nextId() + 100_000 : 3;
      const target = ids === 'auto' ? names.join(', ') : `id, ${names.join(', ')}`;
      const list = ids === 'auto' ? names.join(', ') : `id + ${offset}, ${names.join(', ')}`;
      // Always in id order: the order rows are inserted in decides auto-assigned ids and which of
      // two clashing rows wins, and without ORDER BY each engine reads in its own plan's order.
      const tail = `${where ? ` WHERE ${where}` : ''} ORDER BY id${limit === null ? '' : ` LIMIT ${limit}`}`;
      return {
        sql: `${verb} INTO t (${target}) SELECT ${list} FROM t${tail}`,
        params: [],
        ordered: false,
        kind: 'write' as const,
      };
    });
}

/** UPSERT on the primary key or a UNIQUE column: DO NOTHING or DO UPDATE with excluded.*, chained. */
function upsert(cols: Col[]): fc.Arbitrary<Stmt> {
  const targets = ['id', ...cols.filter((c) => c.unique).map((c) => c.name)];
  const assign = (c: Col): fc.Arbitrary<string> => {
    const options: fc.Arbitrary<string>[] = [fc.constant(`excluded.${c.name}`), valueArb(c)];
    if (c.type === 'INTEGER')
      options.push(fc.constant(`${c.name} + 1`), fc.constant(`${c.name} + excluded.${c.name}`));
    if (c.type === 'TEXT') options.push(fc.constant(`${c.name} || excluded.${c.name}`));
    return fc.oneof(...options).map((e) => `${c.name} = ${e}`);
  };
  const action = fc.oneof(
    { weight: 1, arbitrary: fc.constant('DO NOTHING') },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.uniqueArray(fc.constantFrom(...cols), { minLength: 1, maxLength: 2, selector: (c) => c.name }),
          fc.option(predArb(cols, 0), { freq: 3 }),
        )
        .chain(([cs, where]) =>
          fc
            .tuple(...cs.map(assign))
            .map((sets) => `DO UPDATE SET ${sets.join(', ')}${where ? ` WHERE ${where}` : ''}`),
        ),
    },
  );
  const clause = fc
    .tuple(fc.option(fc.constantFrom(...targets), { freq: 4 }), action)
    .map(([t, a]) => ({ t, sql: `ON CONFLICT${t === null ? '' : ` (${t})`} ${a}` }));
  return fc
    .tuple(
      fc.array(fc.tuple(fc.integer({ min: 1000, max: 1012 }), fc.tuple(...cols.map(valueArb))), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.array(clause, { minLength: 1, maxLength: 2 }),
    )
    .map(([rows, clauses]) => {
      // Only the last clause may omit its target (else both engines reject the statement).
      const kept = clauses.filter((c, i) => c.t !== null || i === clauses.length - 1);
      return {
        sql: `INSERT INTO t (id, ${cols.map((c) => c.name).join(', ')}) VALUES ${rows.map(([id, v]) => `(${id}, ${v.join(', ')})`).join(', ')} ${kept.map((c) => c.sql).join(' ')}`,
        params: [],
        ordered: false,
        kind: 'write' as const,
      };
    });
}

/** UPDATEs that store JSON in a TEXT column, when the table has one. */
function jsonWrites(cols: Col[]): { weight: number; arbitrary: fc.Arbitrary<Stmt> }[] {
  const upd = jsonUpdateArb(cols);
  if (!upd) return [];
  const stmt = upd.map((sql): Stmt => ({ sql, params: [], ordered: false, kind: 'write' }));
  return [{ weight: 1, arbitrary: stmt }];
}

export function statementArb(cols: Col[], nextId: () => number): fc.Arbitrary<Stmt> {
  return fc.oneof(
    { weight: 4, arbitrary: selectStar(cols) },
    { weight: 3, arbitrary: selectExprs(cols) },
    { weight: 2, arbitrary: selectDistinct(cols) },
    { weight: 4, arbitrary: selectGroup(cols) },
    { weight: 2, arbitrary: selectParams(cols) },
    { weight: 2, arbitrary: update(cols) },
    { weight: 1, arbitrary: remove(cols) },
    { weight: 1, arbitrary: fc.constant(null).chain(() => insertArb(cols, nextId())) },
    { weight: 2, arbitrary: conflictInsert(cols) },
    { weight: 2, arbitrary: selectMisc(cols) },
    { weight: 8, arbitrary: expressionStatementArb(cols) },
    {
      weight: 4,
      arbitrary: selectCalls(cols).map((s) => ({ ...s, params: [], ordered: true, kind: 'select' as const })),
    },
    ...jsonWrites(cols),
    {
      weight: 3,
      arbitrary: jsonSelectArb(cols).map((s) => ({
        ...s,
        params: [],
        ordered: true,
        kind: 'select' as const,
      })),
    },
    { weight: 2, arbitrary: insertSelect(cols, nextId) },
    { weight: 2, arbitrary: upsert(cols) },
    { weight: 2, arbitrary: returningWrite(cols, nextId) },
    { weight: 2, arbitrary: ddlStatementArb(cols) },
    { weight: 1, arbitrary: alterStatementArb(cols) },
    { weight: 1, arbitrary: introspectionStatementArb(cols) },
    { weight: 1, arbitrary: compoundSelectArb(cols) },
    { weight: 1, arbitrary: subqueryStatementArb(cols) },
    { weight: 2, arbitrary: rowValueStatementArb(cols) },
    { weight: 2, arbitrary: windowStatementArb(cols) },
    { weight: 1, arbitrary: cteStatementArb(cols) },
    { weight: 1, arbitrary: partialIndexStatementArb(cols) },
  );
}

export function createTableSql(cols: Col[]): string[] {
  const defs = cols.map(
    (c) => `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}${c.collate ? ` COLLATE ${c.collate}` : ''}`,
  );
  return [
    `CREATE TABLE t (id INTEGER PRIMARY KEY, ${defs.join(', ')})`,
    ...cols
      .filter((c) => c.indexed)
      .map((c) => `CREATE ${c.unique ? 'UNIQUE ' : ''}INDEX t_${c.name} ON t (${c.name})`),
  ];
}

export function caseArb(statements: number): fc.Arbitrary<Case> {
  // One case in eight is over a table with composite keys (generate-composite.ts), one over a
  // parent and a child table joined by foreign keys (generate-fk.ts), one over three tables
  // joined (generate-join.ts), one over UPDATE … FROM, NULLS FIRST/LAST, parenthesized joins and
  // semi joins (generate-join-forms.ts).
  return fc.oneof(
    { weight: 5, arbitrary: plainCaseArb(statements) },
    { weight: 1, arbitrary: compositeCaseArb(statements) },
    { weight: 1, arbitrary: foreignKeyCaseArb(statements) },
    { weight: 1, arbitrary: joinCaseArb(statements) },
    { weight: 1, arbitrary: joinFormsCaseArb(statements) },
  );
}

/** A generated column over column `c`, of a type its values always fit (no overflow, no mixing). */
function generatedColumn(c: Col, stored: boolean): string {
  const def: Record<ColType, string> = {
    INTEGER: `INTEGER AS (${c.name} % 100)`,
    REAL: `REAL AS (${c.name} / 2)`,
    TEXT: `TEXT AS (lower(${c.name}) || '.')`,
    BLOB: `INTEGER AS (length(${c.name}))`,
    BOOLEAN: `INTEGER AS (${c.name} + 1)`,
  };
  return `g ${def[c.type]}${stored ? ' STORED' : ''}`;
}

/**
 * The table's DDL, with a generated column `g` over one of the columns when `gen` names one: every
 * write computes it, `SELECT *` and RETURNING show it, ALTER TABLE must follow it.
 */
function plainDdl(cols: Col[], gen: { at: number; stored: boolean } | null): string[] {
  const ddl = createTableSql(cols);
  if (gen === null) return ddl;
  const [create, ...rest] = ddl;
  const column = generatedColumn(cols[gen.at % cols.length], gen.stored);
  return [`${create.slice(0, -1)}, ${column})`, ...rest];
}

function plainCaseArb(statements: number): fc.Arbitrary<Case> {
  const genArb = fc.option(fc.record({ at: fc.nat(), stored: fc.boolean() }), { freq: 3 });
  return fc.tuple(colsArb, genArb).chain(([cols, gen]) => {
    let id = 1000;
    const inserts = fc.array(
      fc.constant(null).chain(() => {
        const first = id;
        id += 10;
        return insertArb(cols, first);
      }),
      { minLength: 2, maxLength: 8 },
    );
    const stmts = fc.array(
      statementArb(cols, () => (id += 10)),
      { minLength: statements, maxLength: statements },
    );
    return fc.tuple(inserts, stmts).map(([ins, st]) => ({
      cols,
      inserts: ins,
      stmts: st,
      ...(gen === null ? {} : { ddl: plainDdl(cols, gen) }),
    }));
  });
}
