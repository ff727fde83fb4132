/**
 * Regression (issue 11, item 6): LIKE compiled to a backtracking regex, so `'%a%a%b'` on 3,000
 * characters took seconds, `'%a'`×14 + `'%b'` on 5,000 never returned, and a 100,000-character
 * pattern threw a raw SyntaxError. The matcher (planner/like.ts) is checked against SQLite.
 */
import Sqlite from 'better-sqlite3';
import fc from 'fast-check';
import { connect, DataError } from '../../src/index';
import { globMatcher, likeMatcher } from '../../planner/like';

const lite = new Sqlite(':memory:');
const liteLike = lite.prepare('SELECT ? LIKE ?');
const liteLikeEsc = lite.prepare("SELECT ? LIKE ? ESCAPE '\\'");
const liteGlob = lite.prepare('SELECT ? GLOB ?');

function sqliteLike(s: string, p: string, esc = false): boolean {
  return ((esc ? liteLikeEsc : liteLike).pluck().get(s, p) as number) === 1;
}

describe('LIKE matcher agrees with SQLite', () => {
  const CASES: [string, string][] = [
    ['abc', 'ABC'],
    ['abc', 'a%'],
    ['abc', '%c'],
    ['abc', '%b%'],
    ['abc', 'a_c'],
    ['abc', '_'],
    ['', '_'],
    ['', '%'],
    ['', ''],
    ['😀', '_'],
    ['😀x', '__'],
    ['a😀b', 'a_b'],
    ['Å', 'å'],
    ['É', 'é'],
    ['aXbXc', '%x%x%'],
    ['aaa', '%aa'],
    ['aaa', 'aa%aa'],
    ['abab', '%ab'],
    ['mississippi', '%iss%ppi'],
    ['mississippi', 'm%s_s%i'],
    ['10\\x', '10\\%'],
    ['ab', 'a%%%b'],
    ['ab', '%%'],
    ['ab', 'a%_%b'],
    ['a\nb', 'a_b'],
  ];
  test.each(CASES)('%j LIKE %j', (s, p) => {
    expect(likeMatcher(p, null)(s)).toBe(sqliteLike(s, p));
  });

  test.each([
    ['10%', '10\\%'],
    ['10x', '10\\%'],
    ['a_b', 'a\\_b'],
    ['axb', 'a\\_b'],
    ['a\\', 'a\\\\'],
    ['ab', 'ab\\'],
    ['a', 'a\\'],
  ])('%j LIKE %j ESCAPE backslash', (s, p) => {
    expect(likeMatcher(p, '\\')(s)).toBe(sqliteLike(s, p, true));
  });

  test('random values and patterns (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'A', '%', '_', '😀', 'é', '\\');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'A', 'B', '😀', 'é', '%', '_'), { maxLength: 12 }),
        fc.array(alpha, { maxLength: 8 }),
        fc.boolean(),
        (sv, pv, esc) => {
          const s = sv.join('');
          const p = pv.join('');
          expect(likeMatcher(p, esc ? '\\' : null)(s)).toBe(sqliteLike(s, p, esc));
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('random values and GLOB patterns (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'A', ']', '-', '😀', '*'), { maxLength: 10 }),
        fc.array(fc.constantFrom('a', 'b', 'A', '*', '?', '[', ']', '^', '-', '😀'), { maxLength: 8 }),
        (sv, pv) => {
          const s = sv.join('');
          const p = pv.join('');
          expect(globMatcher(p)(s)).toBe((liteGlob.pluck().get(s, p) as number) === 1);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('LIKE never backtracks exponentially', () => {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)');
  conn.execute('INSERT INTO t (s) VALUES (?), (?)', ['a'.repeat(3000), 'a'.repeat(5000)]);

  test("'%a%a%b' on 3,000 characters and '%a'x14 || '%b' on 5,000 return at once", () => {
    for (const p of ['%a%a%b', '%a'.repeat(14) + '%b', '%' + 'a_'.repeat(200) + 'b%']) {
      expect(conn.execute('SELECT id FROM t WHERE s LIKE ?', [p]).fetchAll()).toEqual([]);
      expect(sqliteLike('a'.repeat(5000), p)).toBe(false);
    }
    expect(conn.execute('SELECT id FROM t WHERE s LIKE ?', ['%a'.repeat(14) + '%']).fetchAll()).toEqual([
      [1],
      [2],
    ]);
  }, 10_000);

  test('a 100,000-character pattern is a DataError VALUE_TOO_LARGE (SQLite refuses it too)', () => {
    const p = '%a'.repeat(50_000);
    expect(() => liteLike.get('a', p)).toThrow(/too complex/);
    let err: unknown;
    try {
      conn.execute('SELECT id FROM t WHERE s LIKE ?', [p]).fetchAll();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('VALUE_TOO_LARGE');
    // The longest pattern SQLite accepts works here too.
    const ok = 'a%'.repeat(25_000);
    expect(conn.execute('SELECT count(*) FROM t WHERE s LIKE ?', [ok]).fetchOne()).toEqual([0]);
  }, 10_000);
});

describe('GLOB in SQL agrees with SQLite (the same matcher, case-sensitive)', () => {
  const VALUES = ['abc', 'ABC', 'a*c', 'a?c', 'xyz', '', 'a]b', 'a-b', '😀x', null];
  const PATTERNS = [
    'a*',
    'A*',
    '*c',
    'a?c',
    'a[*]c',
    '[a-c]*',
    '[^a]*',
    '*[]]*',
    '[a-]*',
    '',
    '*',
    '?',
    '??',
    '😀?',
    'a[bc',
  ];

  function engines() {
    const l = new Sqlite(':memory:');
    const conn = connect(':memory:', { autocommit: true });
    for (const run of [(s: string) => l.exec(s), (s: string) => conn.execute(s)])
      run('CREATE TABLE g (id INTEGER PRIMARY KEY, s TEXT)');
    VALUES.forEach((v, i) => {
      l.prepare('INSERT INTO g VALUES (?, ?)').run(i, v);
      conn.execute('INSERT INTO g VALUES (?, ?)', [i, v]);
    });
    return { l, conn };
  }

  test.each(PATTERNS)('s GLOB %j and s NOT GLOB %j', (p) => {
    const { l, conn } = engines();
    for (const sql of [
      'SELECT id FROM g WHERE s GLOB ? ORDER BY id',
      'SELECT id FROM g WHERE s NOT GLOB ? ORDER BY id',
    ]) {
      const want = l.prepare(sql).raw().all(p);
      expect(conn.execute(sql, [p]).fetchAll()).toEqual(want);
    }
    conn.close();
  });

  test('a long GLOB with many stars returns at once', () => {
    const { conn } = engines();
    conn.execute('INSERT INTO g VALUES (100, ?)', ['a'.repeat(5000)]);
    expect(conn.execute('SELECT id FROM g WHERE s GLOB ?', ['*a'.repeat(14) + '*b']).fetchAll()).toEqual([]);
    conn.close();
  }, 10_000);

  test("GLOB ... ESCAPE is SQLite's error: glob() takes two arguments", () => {
    const { conn } = engines();
    expect(() => conn.execute("SELECT id FROM g WHERE s GLOB 'a' ESCAPE 'x'")).toThrow(
      'wrong number of arguments to function glob()',
    );
    conn.close();
  });
});

describe('the bit-parallel search (long repetitive segments) agrees with SQLite', () => {
  // Long segments of a few letters against long values of the same letters make checking
  // candidates in place expensive, which is when findFrom hands over to Shift-And.
  const unit = fc.constantFrom('a', 'b', 'ab', 'ba', 'aab', '😀a', 'é');
  const wild = fc.constantFrom('_', '?', '[ab]', '[^b]', '*', '%');

  test('LIKE', () => {
    fc.assert(
      fc.property(
        unit,
        fc.integer({ min: 50, max: 400 }),
        fc.array(wild, { maxLength: 3 }),
        unit,
        fc.integer({ min: 1000, max: 4000 }),
        fc.boolean(),
        (u, k, ws, v, n, tail) => {
          const likeWild = ws.map((w) => (w === '?' || w.startsWith('[') ? '_' : w === '*' ? '%' : w));
          const p = `%${u.repeat(k)}${likeWild.join('')}${tail ? u : 'b'}%`;
          const s = v.repeat(n);
          expect(likeMatcher(p, null)(s)).toBe(sqliteLike(s, p));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('GLOB', () => {
    fc.assert(
      fc.property(
        unit,
        fc.integer({ min: 50, max: 400 }),
        fc.array(wild, { maxLength: 3 }),
        unit,
        fc.integer({ min: 1000, max: 4000 }),
        fc.boolean(),
        (u, k, ws, v, n, tail) => {
          const globWild = ws.map((w) => (w === '_' ? '?' : w === '%' ? '*' : w));
          const p = `*${u.repeat(k)}${globWild.join('')}${tail ? u : 'b'}*`;
          const s = v.repeat(n);
          expect(globMatcher(p)(s)).toBe((liteGlob.pluck().get(s, p) as number) === 1);
        },
      ),
      { numRuns: 150 },
    );
  });
});
