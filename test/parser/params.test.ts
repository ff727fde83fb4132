/** Parameter styles, keys and ParamInfo. */
import { ProgrammingError } from '../../src/errors';
import { E } from '../../planner/expr';
import type { Expr } from '../../planner/expr';
import { caught, findNode, lower, lowerSelectStmt } from './catalog';

/** Every ParamExpr key in a WHERE predicate, left to right. */
function keys(e: Expr): (number | string)[] {
  switch (e.kind) {
    case 'param':
      return [e.key];
    case 'binary':
      return [...keys(e.left), ...keys(e.right)];
    case 'in':
      return [...keys(e.arg), ...e.list.flatMap(keys)];
    case 'between':
      return [...keys(e.arg), ...keys(e.lo), ...keys(e.hi)];
    case 'unary':
    case 'isNull':
      return keys(e.arg);
    default:
      return [];
  }
}

function whereKeys(cond: string): (number | string)[] {
  return keys(findNode(lowerSelectStmt(`SELECT id FROM books WHERE ${cond}`).plan, 'filter').predicate);
}

test('no parameters', () => {
  expect(lower('SELECT id FROM books').params).toEqual({ style: 'none', count: 0, names: [] });
});

test('? is positional, numbered 0.. in order of appearance', () => {
  expect(whereKeys('id = ? AND title = ? OR year IN (?, ?)')).toEqual([0, 1, 2, 3]);
  expect(lower('SELECT id FROM books WHERE id = ? AND year BETWEEN ? AND ?').params).toEqual({
    style: 'positional',
    count: 3,
    names: [],
  });
});

test('positional numbering follows the text across clauses', () => {
  const stmt = lowerSelectStmt('SELECT year + ? FROM books WHERE id > ? ORDER BY year LIMIT ?, ?');
  expect(findNode(stmt.plan, 'project').columns[0].expr).toEqual(
    E.binary('+', E.column(2, [], 'integer', 'year'), E.param(0)),
  );
  expect(findNode(stmt.plan, 'filter').predicate).toMatchObject({ right: E.param(1) });
  expect(findNode(stmt.plan, 'limit')).toMatchObject({ offset: E.param(2), limit: E.param(3) });
  expect(lower('UPDATE books SET title = ? WHERE id = ?').stmt).toMatchObject({
    sets: [{ expr: E.param(0) }],
    where: { right: E.param(1) },
  });
  expect(lower('INSERT INTO books (id, title) VALUES (?, ?), (?, ?)').params.count).toBe(4);
});

test('?NNN is numbered: key NNN-1, count = the largest number', () => {
  expect(whereKeys('id = ?2 AND title = ?1 AND year = ?2')).toEqual([1, 0, 1]);
  expect(lower('SELECT id FROM books WHERE id = ?3').params).toEqual({
    style: 'numbered',
    count: 3,
    names: [],
  });
});

test(':name, @name and $name are named by the name without its prefix; a repeated name is one parameter', () => {
  expect(whereKeys('id = :id OR id = @id OR title = $title')).toEqual(['id', 'id', 'title']);
  expect(
    lower('SELECT id FROM books WHERE id = :id OR id = @id OR title = $title OR year = :y').params,
  ).toEqual({
    style: 'named',
    count: 0,
    names: ['id', 'title', 'y'],
  });
});

test.each([
  'SELECT id FROM books WHERE id = ? AND title = :t',
  'SELECT id FROM books WHERE id = ?1 AND title = ?',
  'SELECT id FROM books WHERE id = ?1 AND title = @t',
  'INSERT INTO books (id, title) VALUES (?, $t)',
])('mixing styles is a PARAMETER error: %s', (sql) => {
  const err = caught(() => lower(sql));
  expect(err).toBeInstanceOf(ProgrammingError);
  expect(err).toMatchObject({ code: 'PARAMETER' });
  expect(err.message).toMatch(/cannot be mixed/);
});

test.each(['?0', '?32767', '?99999999999999999999'])('%s is out of range', (p) => {
  expect(caught(() => lower(`SELECT id FROM books WHERE id = ${p}`))).toMatchObject({ code: 'PARAMETER' });
});

test('parameters are not type-checked when lowering', () => {
  expect(() => lower('SELECT id FROM books WHERE title = ? AND year = ? AND cover = ?')).not.toThrow();
});

test('parameters cannot appear in DDL', () => {
  // As SQLite words it: a parameter is not a constant.
  expect(caught(() => lower('CREATE TABLE t (a INT DEFAULT ?)'))).toMatchObject({
    code: 'SCHEMA',
    message: expect.stringContaining('default value of column [a] is not constant') as unknown,
  });
});
