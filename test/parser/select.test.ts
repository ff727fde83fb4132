/**
 * SELECT lowering: the fixed layer order of planner/logical.ts, Tier 1 expressions, literal
 * typing, aggregates and group keys as slots, SQLite's alias/position rules (SQLITE-SEMANTICS
 * §10), DISTINCT with ORDER BY, LIMIT/OFFSET forms and strict typing of comparisons.
 */
import { DataError, QueryError } from '../../src/errors';
import { E } from '../../planner/expr';
import type { Expr } from '../../planner/expr';
import { L } from '../../planner/logical';
import { caught, findNode, layerKinds, lowerSelectStmt } from './catalog';

const id = { ...E.column(0, [], 'integer', 'id'), rowid: true as const };
const title = E.column(1, [], 'text', 'title');
const year = E.column(2, [], 'integer', 'year');
const price = E.column(3, [], 'real', 'price');
const available = E.column(5, [], 'boolean', 'available');
const lit = E.literal;

function where(cond: string): Expr {
  return findNode(lowerSelectStmt(`SELECT id FROM books WHERE ${cond}`).plan, 'filter').predicate;
}

function selected(list: string, table = 'books'): Expr[] {
  return findNode(lowerSelectStmt(`SELECT ${list} FROM ${table}`).plan, 'project').columns.map((c) => c.expr);
}

describe('layer order', () => {
  test.each([
    ['SELECT * FROM books', ['scan', 'project']],
    ['SELECT id FROM books WHERE id > 1', ['scan', 'filter', 'project']],
    ['SELECT id FROM books ORDER BY title', ['scan', 'sort', 'project']],
    ['SELECT DISTINCT title FROM books', ['scan', 'project', 'distinct']],
    ['SELECT id FROM books LIMIT 1', ['scan', 'project', 'limit']],
    ['SELECT COUNT(*) FROM books', ['scan', 'aggregate', 'project']],
    [
      'SELECT DISTINCT year, COUNT(*) FROM books WHERE id > 0 GROUP BY year HAVING COUNT(*) > 1 ORDER BY year DESC LIMIT 5 OFFSET 1',
      ['scan', 'filter', 'aggregate', 'having', 'sort', 'project', 'distinct', 'limit'],
    ],
  ])('%s', (sql, kinds) => {
    expect(layerKinds(lowerSelectStmt(sql).plan)).toEqual(kinds);
  });

  test('a full plan has exactly the documented shape', () => {
    const stmt = lowerSelectStmt(
      'SELECT title FROM books WHERE year >= 2000 ORDER BY year DESC, id LIMIT 10 OFFSET 20',
    );
    expect(stmt).toEqual({
      kind: 'select',
      collection: 'books',
      columns: [{ name: 'title', type: 'text', nullable: false }],
      plan: L.limit(
        L.project(
          L.sort(L.filter(L.scan('books'), E.binary('>=', year, lit(2000, 'integer'))), [
            { expr: year, desc: true },
            { expr: id, desc: false },
          ]),
          [{ expr: title, name: 'title' }],
        ),
        lit(10, 'integer'),
        lit(20, 'integer'),
      ),
    });
  });

  test('ORDER BY may use a column that is not selected (Sort is below Project)', () => {
    const sort = findNode(lowerSelectStmt('SELECT title FROM books ORDER BY price').plan, 'sort');
    expect(sort.keys).toEqual([{ expr: price, desc: false }]);
  });
});

describe('expressions', () => {
  test.each<[string, Expr]>([
    ['year = 1', E.binary('=', year, lit(1, 'integer'))],
    ['year == 1', E.binary('=', year, lit(1, 'integer'))],
    ['year != 1', E.binary('!=', year, lit(1, 'integer'))],
    ['year <> 1', E.binary('!=', year, lit(1, 'integer'))],
    ['year < 1', E.binary('<', year, lit(1, 'integer'))],
    ['year <= 1', E.binary('<=', year, lit(1, 'integer'))],
    ['year > 1', E.binary('>', year, lit(1, 'integer'))],
    ['1 >= year', E.binary('>=', lit(1, 'integer'), year)],
    [
      'year > 1 AND NOT year = 2 OR id = 3',
      E.or(
        E.and(E.binary('>', year, lit(1, 'integer')), E.unary('not', E.binary('=', year, lit(2, 'integer')))),
        E.binary('=', id, lit(3, 'integer')),
      ),
    ],
    [
      'year > 1 AND (year = 2 OR id = 3)',
      E.and(
        E.binary('>', year, lit(1, 'integer')),
        E.or(E.binary('=', year, lit(2, 'integer')), E.binary('=', id, lit(3, 'integer'))),
      ),
    ],
    ['year IN (1, 2)', E.in(year, [lit(1, 'integer'), lit(2, 'integer')])],
    ['year NOT IN (1, NULL)', E.in(year, [lit(1, 'integer'), lit(null, 'null')], true)],
    ['year IN ()', E.in(year, [])],
    ['year BETWEEN 1 AND 2', E.between(year, lit(1, 'integer'), lit(2, 'integer'))],
    ['year NOT BETWEEN 1 AND 2', E.between(year, lit(1, 'integer'), lit(2, 'integer'), true)],
    ["title LIKE 'a%'", E.like(title, lit('a%', 'text'))],
    ["title NOT LIKE 'a%'", E.like(title, lit('a%', 'text'), null, true)],
    ["title LIKE 'a\\%' ESCAPE '\\'", E.like(title, lit('a\\%', 'text'), lit('\\', 'text'))],
    ["title NOT LIKE 'a!%' ESCAPE '!'", E.like(title, lit('a!%', 'text'), lit('!', 'text'), true)],
    ['year IS NULL', E.isNull(year)],
    ['year IS NOT NULL', E.isNull(year, true)],
    ['year ISNULL', E.isNull(year)],
    ['year NOTNULL', E.isNull(year, true)],
    ['year NOT NULL', E.isNull(year, true)],
    ['available', available],
    ['available = TRUE', E.binary('=', available, lit(1, 'integer'))],
    ['NOT available', E.unary('not', available)],
  ])('WHERE %s', (cond, expected) => {
    expect(where(cond)).toEqual(expected);
  });

  test('arithmetic, concatenation and unary operators with SQLite precedence', () => {
    expect(
      selected("year + 1 * 2, (year + 1) * 2, year / 2 % 3, -year, +year, - -year, title || title || 'x'"),
    ).toEqual([
      E.binary('+', year, E.binary('*', lit(1, 'integer'), lit(2, 'integer'))),
      E.binary('*', E.binary('+', year, lit(1, 'integer')), lit(2, 'integer')),
      E.binary('%', E.binary('/', year, lit(2, 'integer')), lit(3, 'integer')),
      E.unary('neg', year),
      E.unary('pos', year),
      E.unary('neg', E.unary('neg', year)),
      E.binary('||', E.binary('||', title, title), lit('x', 'text')),
    ]);
    // || binds tighter than * (SQLite's precedence table).
    expect(selected("year * title || 'x'")).toEqual([
      E.binary('*', year, E.binary('||', title, lit('x', 'text'))),
    ]);
  });
});

describe('literal typing', () => {
  test.each<[string, unknown, string]>([
    ['0', 0, 'integer'],
    ['42', 42, 'integer'],
    ['-42', -42, 'integer'],
    ['+42', 42, 'integer'],
    ['9007199254740991', 9007199254740991, 'integer'],
    ['9007199254740993', 9007199254740993n, 'integer'],
    ['9223372036854775807', 9223372036854775807n, 'integer'],
    ['-9223372036854775808', -9223372036854775808n, 'integer'],
    ['9223372036854775808', 9223372036854775808, 'real'],
    ['2.0', 2, 'real'],
    ['.5', 0.5, 'real'],
    ['1e3', 1000, 'real'],
    ['1.5E-3', 0.0015, 'real'],
    ['0x10', 16, 'integer'],
    ['0xFFFFFFFFFFFFFFFF', -1, 'integer'],
    ["'text'", 'text', 'text'],
    ["''", '', 'text'],
    ['NULL', null, 'null'],
    ['TRUE', 1, 'integer'],
    ['false', 0, 'integer'],
  ])('%s → %p (%s)', (text, value, type) => {
    expect(selected(text)).toEqual([{ kind: 'literal', value, type }]);
  });

  test('blob literals are Buffers', () => {
    expect(selected("x'00ff', X''")).toEqual([
      lit(Buffer.from([0, 255]), 'blob'),
      lit(Buffer.alloc(0), 'blob'),
    ]);
  });

  test('a hex literal beyond 64 bits is a DataError', () => {
    expect(caught(() => selected('0x1FFFFFFFFFFFFFFFF'))).toBeInstanceOf(DataError);
  });
});

describe('comparisons with literals of another storage class', () => {
  // The literal takes the column's comparison affinity, as SQLite converts it; the rest compare
  // by storage class (test/cursor/literal-affinity.test.ts checks the answers against SQLite).
  test.each([
    ["year = '1999'", 1999, 'integer'],
    ["year IN (1, ' 2 ')", 2, 'integer'],
    ["price > '1.5'", 1.5, 'real'],
    ["available = '1'", 1, 'integer'],
    ['title = 1', '1', 'text'],
    ['title = 1.0', '1.0', 'text'],
    ['title IN (1, 2)', '2', 'text'],
    ['title = TRUE', '1', 'text'],
    ["year = 'x'", 'x', 'text'],
    ["year BETWEEN 'a' AND 'b'", 'b', 'text'],
    ["available = 'true'", 'true', 'text'],
    ["cover = 'a'", 'a', 'text'],
    ['cover = 1', 1, 'integer'],
  ])('%s compares with %p (%s)', (cond, value, type) => {
    const literals: Expr[] = [];
    const visit = (e: Expr): void => {
      if (e.kind === 'literal') literals.push(e);
      for (const v of Object.values(e))
        if (v && typeof v === 'object' && 'kind' in v) visit(v as Expr);
        else if (Array.isArray(v))
          for (const x of v) if (x && typeof x === 'object' && 'kind' in x) visit(x as Expr);
    };
    visit(where(cond));
    expect(literals[literals.length - 1]).toMatchObject({ value, type });
  });

  test.each([
    'year = 1.5',
    'price = 1',
    'available = 1',
    "cover = x'00'",
    "x'00' = title",
    'title = NULL',
    'year IN (NULL)',
    'title = ?',
    'year = :y',
    "title LIKE 1 || ''",
    "year + 1 = 'x'",
    "SELECT year FROM books GROUP BY year HAVING COUNT(*) > 'a'",
  ])('%s is allowed', (cond) => {
    const sql = cond.startsWith('SELECT') ? cond : `SELECT id FROM books WHERE ${cond}`;
    expect(() => lowerSelectStmt(sql)).not.toThrow();
  });
});

describe('aggregates', () => {
  test('every Tier 1 aggregate, typed', () => {
    const stmt = lowerSelectStmt(
      'SELECT COUNT(*), COUNT(year), COUNT(DISTINCT year), SUM(year), SUM(price), SUM(available), AVG(year), MIN(title), MAX(cover), TOTAL(year), count() FROM books',
    );
    const agg = findNode(stmt.plan, 'aggregate');
    expect(agg.inputWidth).toBe(6);
    expect(agg.groupBy).toEqual([]);
    expect(agg.aggregates).toEqual([
      E.aggregate('count', null),
      E.aggregate('count', year),
      E.aggregate('count', year, true),
      E.aggregate('sum', year),
      E.aggregate('sum', price),
      E.aggregate('sum', available),
      E.aggregate('avg', year),
      E.aggregate('min', title),
      E.aggregate('max', E.column(4, [], 'blob', 'cover')),
      E.aggregate('total', year),
    ]);
    expect(stmt.columns.map((c) => c.type)).toEqual([
      'integer',
      'integer',
      'integer',
      'integer',
      'real',
      'integer',
      'real',
      'text',
      'blob',
      'real',
      'integer',
    ]);
    // COUNT() is COUNT(*): one aggregate, two outputs reading the same slot.
    const outs = findNode(stmt.plan, 'project').columns.map((c) => c.expr);
    expect(outs[10]).toEqual({ ...outs[0], name: 'count()' });
  });

  test('an aggregate query without GROUP BY is one group whose columns may all be NULL', () => {
    const stmt = lowerSelectStmt('SELECT name, MAX(sal) FROM s');
    expect(findNode(stmt.plan, 'aggregate').groupBy).toEqual([]);
    expect(stmt.columns).toEqual([
      { name: 'name', type: 'text', nullable: true },
      { name: 'MAX(sal)', type: 'integer', nullable: true },
    ]);
    // The bare column reads the representative row.
    expect(findNode(stmt.plan, 'project').columns[0].expr).toEqual(E.column(1, [], 'text', 'name'));
  });

  test('group keys and aggregates become slots after the Aggregate; other columns read the representative row', () => {
    const stmt = lowerSelectStmt('SELECT dept, name, MAX(sal), sal % 2 FROM s GROUP BY dept, sal % 2');
    const dept = E.column(0, [], 'text', 'dept');
    const sal = E.column(2, [], 'integer', 'sal');
    const parity = E.binary('%', sal, lit(2, 'integer'));
    const agg = findNode(stmt.plan, 'aggregate');
    expect(agg.groupBy).toEqual([dept, parity]);
    expect(agg.aggregates).toEqual([E.aggregate('max', sal)]);
    expect(findNode(stmt.plan, 'project').columns.map((c) => c.expr)).toEqual([
      E.slot(3, 'text', 'dept'),
      E.column(1, [], 'text', 'name'),
      E.slot(5, 'integer', 'MAX(sal)'),
      E.slot(4, 'integer', 'sal % 2'),
    ]);
    expect(stmt.columns.map((c) => c.nullable)).toEqual([true, false, true, true]);
  });

  test('an aggregate used in SELECT, HAVING and ORDER BY is computed once', () => {
    const stmt = lowerSelectStmt(
      'SELECT dept, SUM(sal) FROM s GROUP BY dept HAVING SUM(sal) > 10 AND COUNT(*) > 1 ORDER BY sum(sal) DESC, MIN(sal)',
    );
    const sal = E.column(2, [], 'integer', 'sal');
    expect(findNode(stmt.plan, 'aggregate').aggregates).toEqual([
      E.aggregate('sum', sal),
      E.aggregate('count', null),
      E.aggregate('min', sal),
    ]);
    const having = findNode(stmt.plan, 'filter').predicate;
    expect(having).toEqual(
      E.and(
        E.binary('>', E.slot(4, 'integer', 'SUM(sal)'), lit(10, 'integer')),
        E.binary('>', E.slot(5, 'integer', 'COUNT(*)'), lit(1, 'integer')),
      ),
    );
    expect(findNode(stmt.plan, 'sort').keys).toEqual([
      { expr: E.slot(4, 'integer', 'sum(sal)'), desc: true },
      { expr: E.slot(6, 'integer', 'MIN(sal)'), desc: false },
    ]);
  });

  test.each([
    ['SELECT id FROM books WHERE COUNT(*) > 1', /misuse of aggregate/],
    ['SELECT COUNT(*) FROM books GROUP BY COUNT(*)', /GROUP BY/],
    ['SELECT SUM(COUNT(*)) FROM books', /misuse of aggregate/],
    ['SELECT id FROM books ORDER BY COUNT(*)', /misuse of aggregate/],
    ['SELECT COUNT(*) c FROM books GROUP BY c', /GROUP BY/],
    ['SELECT COUNT(*) FROM books GROUP BY 1', /GROUP BY/],
    ['SELECT id FROM books HAVING id > 1', /HAVING clause on a non-aggregate query/],
    ['SELECT id FROM books HAVING COUNT(*) > 1', /HAVING clause on a non-aggregate query/],
    ['SELECT SUM(*) FROM books', /wrong number of arguments/],
    ['SELECT SUM(year, id) FROM books', /wrong number of arguments/],
  ])('%s → QueryError', (sql, message) => {
    const err = caught(() => lowerSelectStmt(sql));
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ code: 'QUERY' });
    expect(err.message).toMatch(message);
  });
});

describe('aliases and positions (SQLITE-SEMANTICS §10)', () => {
  const sal = E.column(2, [], 'integer', 'sal');

  test('GROUP BY and ORDER BY accept an alias', () => {
    const stmt = lowerSelectStmt('SELECT sal % 2 AS parity, COUNT(*) FROM s GROUP BY parity ORDER BY parity');
    expect(findNode(stmt.plan, 'aggregate').groupBy).toEqual([E.binary('%', sal, lit(2, 'integer'))]);
    expect(findNode(stmt.plan, 'sort').keys).toEqual([{ expr: E.slot(3, 'integer', 'parity'), desc: false }]);
  });

  test('HAVING and ORDER BY accept an alias of an aggregate', () => {
    const stmt = lowerSelectStmt(
      'SELECT dept, SUM(sal) AS total FROM s GROUP BY dept HAVING total > 10 ORDER BY total DESC',
    );
    expect(findNode(stmt.plan, 'filter').predicate).toEqual(
      E.binary('>', E.slot(4, 'integer', 'SUM(sal)'), lit(10, 'integer')),
    );
    expect(findNode(stmt.plan, 'sort').keys).toEqual([
      { expr: E.slot(4, 'integer', 'SUM(sal)'), desc: true },
    ]);
  });

  test('a real column wins over an alias of the same name in HAVING', () => {
    const stmt = lowerSelectStmt('SELECT dept, SUM(sal) AS sal FROM s GROUP BY dept HAVING sal > 25');
    expect(findNode(stmt.plan, 'filter').predicate).toEqual(E.binary('>', sal, lit(25, 'integer')));
  });

  test('an ORDER BY term that is exactly an alias means the alias; inside an expression the column wins', () => {
    const neg = E.unary('neg', sal);
    expect(
      findNode(lowerSelectStmt('SELECT name, -sal AS sal FROM s ORDER BY sal').plan, 'sort').keys,
    ).toEqual([{ expr: neg, desc: false }]);
    expect(
      findNode(lowerSelectStmt('SELECT name, -sal AS sal FROM s ORDER BY sal+0').plan, 'sort').keys,
    ).toEqual([{ expr: E.binary('+', sal, lit(0, 'integer')), desc: false }]);
  });

  test('WHERE falls back to an alias too (as SQLite does), but not to an aggregate', () => {
    expect(where('year > 1')).toEqual(
      findNode(lowerSelectStmt('SELECT year AS y FROM books WHERE y > 1').plan, 'filter').predicate,
    );
    expect(caught(() => lowerSelectStmt('SELECT COUNT(*) AS c FROM books WHERE c > 1')).message).toMatch(
      /misuse of aggregate/,
    );
  });

  test('1-based positions in GROUP BY and ORDER BY', () => {
    const stmt = lowerSelectStmt('SELECT dept, COUNT(*) FROM s GROUP BY 1 ORDER BY 2 DESC, 1');
    expect(findNode(stmt.plan, 'aggregate').groupBy).toEqual([E.column(0, [], 'text', 'dept')]);
    expect(findNode(stmt.plan, 'sort').keys).toEqual([
      { expr: E.slot(4, 'integer', 'COUNT(*)'), desc: true },
      { expr: E.slot(3, 'text', 'dept'), desc: false },
    ]);
  });

  test.each([
    ['SELECT title FROM books ORDER BY 2', '1st ORDER BY term out of range - should be between 1 and 1'],
    [
      'SELECT title FROM books ORDER BY title, 0',
      '2nd ORDER BY term out of range - should be between 1 and 1',
    ],
    [
      'SELECT title, COUNT(*) FROM books GROUP BY 3',
      '1st GROUP BY term out of range - should be between 1 and 2',
    ],
  ])('%s → %s', (sql, message) => {
    expect(caught(() => lowerSelectStmt(sql))).toMatchObject({ code: 'QUERY', message });
  });

  test('a non-integer constant in ORDER BY is an expression, not a position', () => {
    expect(findNode(lowerSelectStmt('SELECT title FROM books ORDER BY 1.5').plan, 'sort').keys).toEqual([
      { expr: lit(1.5, 'real'), desc: false },
    ]);
  });
});

describe('DISTINCT', () => {
  test('ORDER BY output columns or expressions over them', () => {
    const stmt = lowerSelectStmt('SELECT DISTINCT year FROM books ORDER BY year DESC, year + 1, 1');
    expect(findNode(stmt.plan, 'sort').keys).toEqual([
      { expr: year, desc: true },
      { expr: E.binary('+', year, lit(1, 'integer')), desc: false },
      { expr: year, desc: false },
    ]);
  });

  test('ORDER BY a term outside the select list: distinct rows first, then sorted', () => {
    const stmt = lowerSelectStmt('SELECT DISTINCT title FROM books ORDER BY year');
    const distinct = findNode(stmt.plan, 'distinct');
    expect(distinct.beforeSort).toBe(true);
    expect(findNode(stmt.plan, 'sort').keys).toEqual([{ expr: year, desc: false }]);
  });

  test('with GROUP BY, sorting on a selected aggregate is fine', () => {
    expect(() =>
      lowerSelectStmt('SELECT DISTINCT dept, COUNT(*) AS n FROM s GROUP BY dept ORDER BY n'),
    ).not.toThrow();
  });
});

describe('LIMIT and OFFSET', () => {
  test.each<[string, Expr | null, Expr | null]>([
    ['LIMIT 10', lit(10, 'integer'), null],
    ['LIMIT 10 OFFSET 5', lit(10, 'integer'), lit(5, 'integer')],
    ['LIMIT 5, 10', lit(10, 'integer'), lit(5, 'integer')],
    ['LIMIT -1', lit(-1, 'integer'), null],
    ['LIMIT 1 + 1', E.binary('+', lit(1, 'integer'), lit(1, 'integer')), null],
    ["LIMIT '2'", lit('2', 'text'), null],
    ['LIMIT ? OFFSET ?', E.param(0), E.param(1)],
    // SQLite numbers `?` by position in the text: in `LIMIT ?, ?` the first is the offset.
    ['LIMIT ?, ?', E.param(1), E.param(0)],
    ['LIMIT :n OFFSET :o', E.param('n'), E.param('o')],
  ])('%s', (clause, limit, offset) => {
    const node = findNode(lowerSelectStmt(`SELECT id FROM books ${clause}`).plan, 'limit');
    expect(node.limit).toEqual(limit);
    expect(node.offset).toEqual(offset);
  });

  test('LIMIT cannot read columns', () => {
    expect(caught(() => lowerSelectStmt('SELECT id FROM books LIMIT id'))).toMatchObject({ code: 'QUERY' });
  });

  test('OFFSET without LIMIT is a syntax error', () => {
    expect(caught(() => lowerSelectStmt('SELECT id FROM books OFFSET 2'))).toMatchObject({ code: 'SYNTAX' });
  });
});
