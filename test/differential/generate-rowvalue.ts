/**
 * Differential row values over the case's one table: `(c1, c2 [, c3]) op (…)` for every
 * comparison operator and IS [NOT], BETWEEN, IN lists, [NOT] IN (SELECT …) (correlated too, and
 * VALUES), comparisons with a multi-column scalar subquery, keyset-style range pages
 * (`ORDER BY c1, c2, id LIMIT n`), and writes: `UPDATE t SET (c1, c2) = …` and DELETE. Items are
 * literals of the column's own type or NULL (ModelVault refuses a column compared with a literal
 * of another storage class), so NULL rules, collations and affinity per item are what is tested.
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';
import { literalArb } from './literals';

const ID: Col = { name: 'id', type: 'INTEGER', notNull: true, indexed: false };

/** An item compared with column `c`: a literal of its type, often NULL. */
function itemArb(c: Col): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: literalArb(c.type) },
    { weight: 1, arbitrary: fc.constant('NULL') },
  );
}

const rowOf = (items: readonly string[]): string => `(${items.join(', ')})`;

/** The row's columns (2 or 3, `id` allowed) and a row of items matching them. */
function shapeArb(cols: Col[]): fc.Arbitrary<Col[]> {
  return fc.shuffledSubarray([ID, ...cols], { minLength: 2, maxLength: 3 });
}

function valuesArb(row: Col[]): fc.Arbitrary<string> {
  return fc.tuple(...row.map(itemArb)).map(rowOf);
}

/** The inner query of a row IN: the same columns of t (or another row of them), or VALUES. */
function innerArb(row: Col[]): fc.Arbitrary<string> {
  const names = row.map((c) => c.name);
  const qualified = names.map((n) => `s.${n}`).join(', ');
  return fc.oneof(
    // Not a bare `FROM t AS s`: SQLite then answers the IN from t's own index, where a NULL item
    // matches a NULL (a quirk of its IN-operator index reuse; the NULL rules say NULL).
    fc
      .constantFrom(' WHERE s.id + 0 = s.id', ' WHERE s.id % 3 = 0', ' WHERE s.id > 1030', ' WHERE 0')
      .map((w) => `SELECT ${qualified} FROM t AS s${w}`),
    // Correlated: every other row of t.
    fc.constant(`SELECT ${qualified} FROM t AS s WHERE s.id <> t.id`),
    fc.array(valuesArb(row), { minLength: 1, maxLength: 3 }).map((vs) => `VALUES ${vs.join(', ')}`),
  );
}

function predicateArb(row: Col[]): fc.Arbitrary<string> {
  const lhs = rowOf(row.map((c) => c.name));
  const values = valuesArb(row);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom('=', '<>', '<', '<=', '>', '>=', 'IS', 'IS NOT'), values)
        .map(([op, r]) => `${lhs} ${op} ${r}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.boolean(), values, values)
        .map(([not, lo, hi]) => `${lhs} ${not ? 'NOT ' : ''}BETWEEN ${lo} AND ${hi}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.boolean(), fc.array(values, { minLength: 1, maxLength: 3 }))
        .map(([not, list]) => `${lhs} ${not ? 'NOT ' : ''}IN (${list.join(', ')})`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.boolean(), innerArb(row))
        .map(([not, inner]) => `${lhs} ${not ? 'NOT ' : ''}IN (${inner})`),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('=', '<', '>=', 'IS NOT')
        .map(
          (op) =>
            `${lhs} ${op} (SELECT ${row.map((c) => c.name).join(', ')} FROM t ORDER BY id DESC LIMIT 1)`,
        ),
    },
  );
}

const select = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });
const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });

/** `SET (c1, c2) = …`: nullable, non-unique columns, so a write fails for no other reason. */
function assignmentArb(cols: Col[]): fc.Arbitrary<string> | null {
  const free = cols.filter((c) => !c.notNull && !c.unique);
  if (free.length < 2) return null;
  return fc.shuffledSubarray(free, { minLength: 2, maxLength: 2 }).chain((set) => {
    const names = set.map((c) => c.name).join(', ');
    // Swapping two columns stores each value in a column of its own type only when they agree.
    const swap =
      set[0].type === set[1].type ? [fc.constant(`(${names}) = (${set[1].name}, ${set[0].name})`)] : [];
    return fc.oneof(
      valuesArb(set).map((v) => `(${names}) = ${v}`),
      ...swap,
      // Subqueries that read no row this UPDATE changed before (ModelVault reads the statement's
      // snapshot, SQLite the table as it goes: docs/sql.md), correlated or run once.
      fc.constant(`(${names}) = (SELECT ${names} FROM t AS s WHERE s.id = t.id)`),
      fc.constant(`(${names}) = (SELECT ${names} FROM t ORDER BY id DESC LIMIT 1)`),
    );
  });
}

export function rowValueStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  const pred = shapeArb(cols).chain(predicateArb);
  const assignment = assignmentArb(cols);
  return fc.oneof(
    { weight: 3, arbitrary: pred.map((p) => select(`SELECT id FROM t WHERE ${p} ORDER BY id`)) },
    { weight: 3, arbitrary: pred.map((p) => select(`SELECT id, ${p} FROM t ORDER BY id`)) },
    {
      // A keyset page: the row bound, in the row's order, ties broken by id.
      weight: 2,
      arbitrary: shapeArb(cols).chain((row) =>
        fc
          .tuple(fc.constantFrom('>', '>=', '<', '<='), valuesArb(row), fc.integer({ min: 1, max: 4 }))
          .map(([op, v, n]) => {
            const names = row.map((c) => c.name);
            const dir = op.startsWith('<') ? ' DESC' : '';
            const order = [...names, ...(names.includes('id') ? [] : ['id'])].map((c) => `${c}${dir}`);
            return select(
              `SELECT * FROM t WHERE ${rowOf(names)} ${op} ${v} ORDER BY ${order.join(', ')} LIMIT ${n}`,
            );
          }),
      ),
    },
    { weight: 1, arbitrary: pred.map((p) => write(`DELETE FROM t WHERE ${p}`)) },
    ...(assignment
      ? [
          {
            weight: 2,
            arbitrary: fc.tuple(assignment, pred).map(([a, p]) => write(`UPDATE t SET ${a} WHERE ${p}`)),
          },
        ]
      : []),
  );
}
