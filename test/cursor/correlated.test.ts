/**
 * Correlated subqueries (EXISTS / IN / scalar reading columns of the enclosing query) in WHERE,
 * the select list, HAVING, ORDER BY, ON, UPDATE and DELETE, nested two deep and over joins, each
 * compared with better-sqlite3: result columns and rows, or the error class; writes compare the
 * tables afterwards.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE dept (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, budget REAL)',
    'CREATE TABLE emp (id INTEGER PRIMARY KEY, dept_id INTEGER, name TEXT, salary INTEGER, boss INTEGER)',
    'CREATE INDEX emp_dept ON emp (dept_id)',
    'CREATE TABLE note (id INTEGER PRIMARY KEY, who TEXT, txt TEXT)',
    "INSERT INTO dept VALUES (1, 'Eng', 100.0), (2, 'ops', 50.5), (3, 'Empty', NULL), (4, NULL, 10.0)",
    "INSERT INTO emp VALUES (1, 1, 'ann', 120, NULL), (2, 1, 'bob', 90, 1), (3, 2, 'cy', 70, 1), (4, 2, 'di', 70, 3), (5, NULL, 'ed', 40, 3), (6, 9, 'fay', NULL, 2)",
    "INSERT INTO note VALUES (1, 'ENG', 'a'), (2, 'ops', 'b'), (3, NULL, 'c')",
  );
});
afterEach(() => o.close());

function compare(sql: string): boolean {
  const { mv, sqlite } = o.query(sql);
  expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
  return mv.ok;
}

describe('correlated subqueries equal SQLite', () => {
  test.each([
    'SELECT name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id) ORDER BY id',
    'SELECT name FROM dept d WHERE NOT EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id) ORDER BY id',
    'SELECT id, (SELECT count(*) FROM emp WHERE emp.dept_id = dept.id) FROM dept ORDER BY id',
    'SELECT id, (SELECT max(salary) FROM emp e WHERE e.dept_id = d.id) AS top FROM dept d ORDER BY top, id',
    'SELECT e.name FROM emp e WHERE e.salary > (SELECT avg(salary) FROM emp x WHERE x.dept_id = e.dept_id) ORDER BY 1',
    'SELECT e.name FROM emp e WHERE e.salary IN (SELECT salary FROM emp x WHERE x.id <> e.id) ORDER BY 1',
    'SELECT e.name FROM emp e WHERE e.salary NOT IN (SELECT salary FROM emp x WHERE x.boss = e.id) ORDER BY 1',
    'SELECT e.name, (SELECT b.name FROM emp b WHERE b.id = e.boss) FROM emp e ORDER BY e.id',
    // Bare name resolution: the inner FROM first, then the outer query.
    'SELECT name FROM dept WHERE EXISTS (SELECT 1 FROM emp WHERE dept_id = dept.id AND salary > budget) ORDER BY 1',
    // The outer column keeps its collation (dept.name is NOCASE).
    'SELECT d.id FROM dept d WHERE EXISTS (SELECT 1 FROM note n WHERE n.who = d.name) ORDER BY 1',
    'SELECT n.id FROM note n WHERE EXISTS (SELECT 1 FROM dept d WHERE d.name = n.who) ORDER BY 1',
    // Nested two deep, the innermost reading the outermost.
    'SELECT d.id FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id AND EXISTS (SELECT 1 FROM emp b WHERE b.boss = e.id AND b.dept_id = d.id)) ORDER BY 1',
    // HAVING and ORDER BY.
    'SELECT dept_id, count(*) FROM emp e GROUP BY dept_id HAVING count(*) >= (SELECT count(*) FROM emp x WHERE x.dept_id = e.dept_id) ORDER BY 1',
    'SELECT name FROM dept d ORDER BY (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) DESC, id',
    // Over joins, and in an ON clause.
    'SELECT e.name, d.name FROM emp e JOIN dept d ON d.id = e.dept_id WHERE NOT EXISTS (SELECT 1 FROM emp x WHERE x.boss = e.id) ORDER BY 1',
    'SELECT d.id, e.id FROM dept d LEFT JOIN emp e ON e.dept_id = d.id AND e.salary = (SELECT max(salary) FROM emp x WHERE x.dept_id = d.id) ORDER BY 1, 2',
    // Inside a derived table of a subquery, and a derived table in FROM reading nothing outside.
    'SELECT d.id, (SELECT n FROM (SELECT count(*) AS n FROM emp e WHERE e.dept_id = d.id)) FROM dept d ORDER BY 1',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });

  test('a derived table in FROM cannot read the query around it (no such column)', () => {
    expect(compare('SELECT * FROM dept d, (SELECT * FROM emp e WHERE e.dept_id = d.id)')).toBe(false);
  });
});

describe('writes with correlated subqueries equal SQLite', () => {
  test.each([
    'DELETE FROM dept WHERE NOT EXISTS (SELECT 1 FROM emp WHERE emp.dept_id = dept.id)',
    'UPDATE dept SET budget = (SELECT sum(salary) FROM emp WHERE emp.dept_id = dept.id)',
    'UPDATE emp SET salary = salary + 1 WHERE salary < (SELECT avg(salary) FROM emp x WHERE x.dept_id = emp.dept_id)',
    'DELETE FROM emp WHERE boss IN (SELECT id FROM emp b WHERE b.dept_id <> emp.dept_id)',
  ])('%s', (sql) => {
    const both = o.both(sql, ['dept', 'emp']);
    expect(both.mv).toEqual(both.sqlite);
  });
});
