/**
 * Generated columns (`b AS (expr) [STORED|VIRTUAL]`): computed on every write from the row's other
 * columns, by SQL and the typed API alike. Statement by statement against better-sqlite3 — the
 * refusals with SQLite's messages, ALTER TABLE (ADD COLUMN computing existing rows, DROP and
 * RENAME COLUMN rules), introspection — and a property test of random tables of generated
 * columns under random inserts, updates, upserts and deletes, compared row for row.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Database } from '../../src/index';
import { ours, sameAsSqlite, theirs, withPair } from '../helpers/sql-pair';

describe('generated columns behave as in SQLite', () => {
  test('values computed on insert, update, upsert and replace; SELECT * shows them; indexes use them', () => {
    sameAsSqlite([
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT AS (a * 2), c TEXT GENERATED ALWAYS AS (a || 'x') STORED, d INTEGER AS (b + 1) VIRTUAL)",
      'INSERT INTO t VALUES (1, 1)',
      'INSERT INTO t (a) VALUES (3)',
      'INSERT INTO t (id, a) VALUES (10, NULL)',
      'SELECT * FROM t ORDER BY id',
      'UPDATE t SET a = a + 10 WHERE id <= 2',
      'INSERT INTO t VALUES (1, 5) ON CONFLICT (id) DO UPDATE SET a = excluded.a + excluded.b + 100',
      'INSERT OR REPLACE INTO t VALUES (2, 7)',
      'SELECT * FROM t ORDER BY id',
      'CREATE INDEX t_d ON t (d)',
      'SELECT id, c FROM t WHERE d = 15',
      'SELECT id FROM t WHERE d > 0 ORDER BY d DESC',
      'DELETE FROM t WHERE b = 14',
      'SELECT * FROM t ORDER BY id',
      'INSERT INTO t (a) SELECT a FROM t WHERE a IS NOT NULL',
      'SELECT a, b, c, d FROM t ORDER BY id',
      'UPDATE t SET a = (SELECT max(a) FROM t) WHERE id = 10 RETURNING b, d',
    ]);
  });

  test('a generated value takes its column type where SQLite converts it without loss', () => {
    sameAsSqlite([
      "CREATE TABLE u (a INT, r REAL, b TEXT AS (a + 1), c TEXT AS (a * 1.0), d INT AS ('7' || a), e REAL AS (a || '.5'), f TEXT AS (r), g REAL AS (a))",
      'INSERT INTO u VALUES (1, 2.0)',
      'INSERT INTO u VALUES (3, 0.25)',
      'SELECT b, typeof(b), c, d, typeof(d), e, f, typeof(f), g, typeof(g) FROM u ORDER BY a',
    ]);
  });

  test("a generated column without a declared type takes its expression's type", () => {
    sameAsSqlite([
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, r REAL, s TEXT, b AS (a * 2), c AS (b + 1), d AS (a || 'x'), e AS (r * 2), f AS (nullif(a, 1)), k AS (length(s) > 1))",
      "INSERT INTO t (a, r, s) VALUES (3, 1.5, 'q'), (1, NULL, 'long'), (NULL, 2.0, NULL)",
      'SELECT b, typeof(b), c, typeof(c), d, typeof(d), e, typeof(e), f, typeof(f), k FROM t ORDER BY id',
      'ALTER TABLE t ADD COLUMN h AS (c * 10)',
      'SELECT h, typeof(h) FROM t ORDER BY id',
      'PRAGMA table_xinfo(t)',
    ]);
    const conn = connect(':memory:');
    expect(() => conn.execute("CREATE TABLE u (a INT, g AS (CASE WHEN a THEN 1 ELSE 'x' END))")).toThrow(
      "generated column g needs a declared type: the type of (CASE WHEN a THEN 1 ELSE 'x' END)",
    );
    expect(() => conn.execute('CREATE TABLE u (a INT, g AS (NULL))')).toThrow('g needs a declared type');
    conn.close();
  });

  test('date functions over a column work; reading the clock or the local zone fails the write, as in SQLite', () => {
    sameAsSqlite([
      "CREATE TABLE d (a TEXT, b TEXT AS (date(a)), c TEXT AS (datetime(a, '+1 day')), e TEXT AS (strftime('%Y', a)))",
      "INSERT INTO d VALUES ('2024-01-02 10:00')",
      "INSERT INTO d VALUES ('now')",
      "INSERT INTO d VALUES ('junk')",
      'SELECT * FROM d',
      "CREATE TABLE l (a TEXT, b TEXT AS (datetime(a, 'localtime')))",
      "INSERT INTO l VALUES ('2024-01-02 10:00')",
      "CREATE TABLE u (a TEXT, b TEXT AS (datetime(a, 'utc')))",
      "INSERT INTO u VALUES ('2024-01-02 10:00')",
      'SELECT count(*) FROM l',
      'CREATE TABLE r (a INT, b INT AS (rowid * 2))',
      'CREATE TABLE r (a INT, b INT AS (_ROWID_))',
      'CREATE TABLE r (rowid INT, b INT AS (rowid * 2))',
      'INSERT INTO r VALUES (4)',
      'SELECT * FROM r',
      'CREATE TABLE k (id INTEGER PRIMARY KEY, b INT AS (id + 1))',
      'INSERT INTO k VALUES (NULL), (NULL)',
      'SELECT * FROM k',
    ]);
    // One difference: a literal 'now' is refused when the table is created (SQLite fails each write).
    const conn = connect(':memory:');
    expect(() => conn.execute("CREATE TABLE n (a INT, b TEXT AS (date('now')))")).toThrow(
      'non-deterministic functions prohibited in generated columns',
    );
    conn.close();
  });

  test('a generated value that cannot be its column type is a DataError (SQLite would store it as is)', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    cur.execute("CREATE TABLE u (a INT, d INT AS ('7' || a))");
    cur.execute('INSERT INTO u VALUES (3)');
    expect(() => cur.execute('INSERT INTO u VALUES (-3)')).toThrow('d: expected int64, got a string');
    expect(cur.execute('SELECT * FROM u').fetchAll()).toEqual([[3, 73]]);
    conn.close();
  });

  test("SQLite's refusals, with its messages", () => {
    sameAsSqlite([
      "CREATE TABLE t (a INT, b INT AS (a * 2), c TEXT GENERATED ALWAYS AS (a || 'x') STORED)",
      'INSERT INTO t VALUES (1, 2)',
      'INSERT INTO t (a, b) VALUES (1, 2)',
      'INSERT INTO t (c) VALUES (1)',
      'UPDATE t SET b = 3',
      'CREATE TABLE k (id INTEGER PRIMARY KEY, a INT, c INT AS (a))',
      'INSERT INTO k VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET c = 1',
      'INSERT INTO t SELECT * FROM t',
      'CREATE TABLE u (a INT, b INT AS (b + 1))',
      'CREATE TABLE u (a INT, b INT AS (c + 1), c INT AS (b))',
      'CREATE TABLE u (a INT, b INT AS (random()))',
      'CREATE TABLE u (a INT, b INT AS ((SELECT 1)))',
      'CREATE TABLE u (a INT, b INT AS (?))',
      'CREATE TABLE u (a INT PRIMARY KEY AS (1))',
      'CREATE TABLE u (a INT, b INT AS (a), PRIMARY KEY (a, b))',
      'CREATE TABLE u (a INT, b INT AS (a) DEFAULT 3)',
      'CREATE TABLE u (a INT, b INT AS (zz))',
      'CREATE TABLE u (a INT, b INT AS (t.a))',
      'CREATE TABLE u (a INT, b INT AS (u.a))',
      'CREATE TABLE u (a INT, b INT AS (sum(a)))',
      'CREATE TABLE u (a INT AS (1))',
      'CREATE TABLE n (a INT, b INT NOT NULL AS (nullif(a, 2)))',
      'INSERT INTO n VALUES (1)',
      'INSERT INTO n VALUES (2)',
      'INSERT OR IGNORE INTO n VALUES (2)',
      'SELECT * FROM n',
      'CREATE TABLE g (a INT, b INT UNIQUE AS (a % 2))',
      'INSERT INTO g VALUES (1)',
      'INSERT INTO g VALUES (3)',
      'INSERT OR REPLACE INTO g VALUES (5)',
      'SELECT * FROM g',
    ]);
  });

  test('ALTER TABLE: ADD COLUMN computes existing rows; DROP and RENAME COLUMN follow the expressions', () => {
    sameAsSqlite([
      'CREATE TABLE w (id INTEGER PRIMARY KEY, a INT, b INT AS (a) STORED)',
      'INSERT INTO w (a) VALUES (1), (2), (NULL)',
      'ALTER TABLE w ADD COLUMN c INT AS (b + 1)',
      'ALTER TABLE w ADD COLUMN f INT AS (a + 100) STORED',
      'ALTER TABLE w ADD COLUMN nn INT NOT NULL AS (coalesce(a, 0))',
      'ALTER TABLE w ADD COLUMN bad INT NOT NULL AS (a)',
      'SELECT * FROM w ORDER BY id',
      'ALTER TABLE w DROP COLUMN b',
      'ALTER TABLE w DROP COLUMN c',
      'SELECT * FROM w ORDER BY id',
      'ALTER TABLE w RENAME COLUMN a TO "a a"',
      'INSERT INTO w ("a a") VALUES (7)',
      'SELECT * FROM w ORDER BY id',
      'ALTER TABLE w DROP COLUMN "a a"',
      'CREATE TABLE one (a INT, b INT AS (a * 2))',
      'ALTER TABLE one DROP COLUMN a',
      'PRAGMA table_info(w)',
      'PRAGMA table_xinfo(w)',
    ]);
  });

  test('a CHECK on a generated column applies to the computed value, and a failed ADD COLUMN changes nothing', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    cur.execute('CREATE TABLE h (a INT, b INT AS (abs(a)) CHECK (b < 5))');
    cur.execute('INSERT INTO h VALUES (-4)');
    expect(() => cur.execute('INSERT INTO h VALUES (-7)')).toThrow(/CHECK constraint failed: h\.b/);
    expect(() => cur.execute('ALTER TABLE h ADD COLUMN c INT AS (a) CHECK (c > 0)')).toThrow(
      'CHECK constraint failed',
    );
    expect(cur.execute('SELECT * FROM h').fetchAll()).toEqual([[-4, 4]]);
    expect(cur.execute('PRAGMA table_xinfo(h)').fetchAll().length).toBe(2);
    conn.close();
  });

  test('table_info hides generated columns; table_xinfo marks them; the catalog text creates the same table in SQLite', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    const ddl =
      "CREATE TABLE t (a INT, b INT AS (a * 2), c TEXT NOT NULL GENERATED ALWAYS AS (a || 'x') STORED, d REAL)";
    cur.execute(ddl);
    const db = new BetterSqlite3(':memory:');
    db.exec(ddl);
    for (const pragma of [
      'PRAGMA table_info(t)',
      'PRAGMA table_xinfo(t)',
      "SELECT * FROM pragma_table_info('t')",
    ])
      expect(ours(conn, pragma)).toEqual(theirs(db, pragma));
    const text = cur.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchOne() as string[];
    expect(text[0]).toBe(
      "CREATE TABLE t (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT NOT NULL GENERATED ALWAYS AS (a || 'x') STORED, d REAL)",
    );
    const again = new BetterSqlite3(':memory:');
    again.exec(text[0]);
    expect(theirs(again, 'PRAGMA table_xinfo(t)')).toEqual(theirs(db, 'PRAGMA table_xinfo(t)'));
    // ModelVault reads its own text back too.
    cur.execute(text[0].replace('TABLE t', 'TABLE t2'));
    cur.execute('INSERT INTO t2 (a, d) VALUES (4, 0.5)');
    expect(cur.execute('SELECT * FROM t2').fetchAll()).toEqual([[4, 8, '4x', 0.5]]);
    for (const d of [db, again]) d.close();
    conn.close();
  });
});

describe('generated columns persist and are shared with the typed API', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mv-generated-'));
  });
  // Closed even when an expectation fails, so a failure is reported as itself, not as a leak.
  const opened: { close(): void }[] = [];
  const track = <T extends { close(): void }>(handle: T): T => {
    opened.push(handle);
    return handle;
  };
  afterEach(() => {
    for (const h of opened.splice(0)) {
      try {
        h.close();
      } catch {
        // already closed by the test
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('a reopened file computes them the same way; its index stays exact', () => {
    const file = join(dir, 'g.mv');
    let conn = track(connect(file));
    let cur = conn.cursor();
    cur.execute(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, qty INT, total REAL AS (price * qty))',
    );
    cur.execute('CREATE INDEX items_total ON items (total)');
    cur.executeMany(
      'INSERT INTO items (price, qty) VALUES (?, ?)',
      Array.from({ length: 200 }, (_, i) => [(i % 17) / 4, i % 5]),
    );
    conn.commit();
    conn.close();
    conn = track(connect(file));
    cur = conn.cursor();
    cur.execute('UPDATE items SET qty = qty + 1 WHERE id % 3 = 0');
    cur.execute('INSERT INTO items (price, qty) VALUES (10, 10)');
    conn.commit();
    const byIndex = cur
      .execute('SELECT id, total FROM items WHERE total >= 12 ORDER BY total, id')
      .fetchAll();
    const byScan = cur
      .execute('SELECT id, total FROM items WHERE +total >= 12 ORDER BY total, id')
      .fetchAll();
    expect(byIndex).toEqual(byScan);
    expect(byIndex.length).toBeGreaterThan(5);
    const wrong = cur.execute('SELECT count(*) FROM items WHERE total IS NOT price * qty').fetchOne();
    expect(wrong).toEqual([0]);
    expect(cur.execute('PRAGMA integrity_check').fetchAll()).toEqual([['ok']]);
    conn.close();
  });

  test('the typed API computes them too, replacing a value given for one', () => {
    const file = join(dir, 't.mv');
    const db = track(Database.open(file));
    db.registerCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'price', type: 'float64' },
        { path: 'qty', type: 'int64' },
        { path: 'total', type: 'float64', generated: { sql: 'price * qty' } },
      ],
      'id',
      [{ name: 'items_total', path: 'total', kind: 'index' }],
    );
    db.insert('items', { id: 1, price: 2.5, qty: 4 });
    db.insert('items', { id: 2, price: 1, qty: 3, total: 999 });
    expect(db.get('items', 1)).toEqual({ id: 1, price: 2.5, qty: 4, total: 10 });
    expect(db.get('items', 2)).toEqual({ id: 2, price: 1, qty: 3, total: 3 });
    expect(db.collection('items').where('total', '=', 3).count()).toBe(1);
    const plan = db.planSchemaVersion('items', {
      fields: [
        { path: 'id', type: 'int64' },
        { path: 'price', type: 'float64' },
        { path: 'qty', type: 'int64' },
        { path: 'total', type: 'float64', generated: { sql: 'price * qty + 1' } },
      ],
    });
    expect(plan.steps.map((s) => [s.kind, s.classification])).toEqual([['changeGenerated', 'breaking']]);
  });

  test.each([
    [
      { path: 'id', type: 'int64', generated: { sql: '1' } },
      'generated columns cannot be part of the PRIMARY KEY',
    ],
    [
      { path: 'x', type: 'int64', generated: { sql: 'id' }, default: 3 },
      'cannot use DEFAULT on a generated column',
    ],
    [{ path: 'x', type: 'int64', generated: { sql: '' } }, 'generated.sql must be a non-empty string'],
    [{ path: 'x', type: 'int64', generated: { sql: 'id', stored: 1 } }, 'generated.stored must be a boolean'],
    [{ path: 'x', type: 'int64', generated: { expr: 'id' } }, 'generated'],
    [
      { path: ['o', 'x'], type: 'int64', generated: { sql: 'id' } },
      'only a top-level field can be generated',
    ],
    [{ path: 'x', type: 'int64', generated: { sql: 'nope + 1' } }, 'no such column: nope'],
  ])('a bad generated descriptor is refused: %j', (field, message) => {
    const db = Database.open(':memory:');
    const fields = field.path === 'id' ? [field] : [{ path: 'id', type: 'int64' }, field];
    // The descriptors are deliberately malformed: the runtime checks are under test.
    expect(() => db.registerCollection('c', fields as never, 'id')).toThrow(message);
    expect(db.collectionNames?.() ?? []).not.toContain('c');
    db.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random generated columns over random writes equal SQLite's, row for row.

const EXPRS: Readonly<Record<'INTEGER' | 'REAL' | 'TEXT', readonly string[]>> = {
  INTEGER: [
    'a + 1',
    'a * 2 - coalesce(a, 0)',
    'length(c)',
    'abs(a)',
    'CASE WHEN a > 0 THEN a ELSE -a END',
    'ifnull(a, 7)',
    'a % 3',
    "instr(c, 'e')",
  ],
  REAL: ['b * 2', 'b + a', 'round(b, 1)', 'coalesce(b, a, 0.5)', 'b / 4'],
  TEXT: [
    "c || 'x'",
    'upper(c)',
    "a || '-' || c",
    'substr(c, 2)',
    'b',
    'a + 1',
    "printf('%d', a)",
    'lower(c)',
  ],
};
// Without a declared type a column takes its expression's static type (SQLite keeps the value as
// it comes): every expression above whose type is known before it runs.
const UNTYPED = [...EXPRS.INTEGER, ...EXPRS.REAL, ...EXPRS.TEXT].filter((e) => e !== 'coalesce(b, a, 0.5)');
const TYPES = ['INTEGER', 'REAL', 'TEXT', ''] as const;

const generatedColumn = fc.record({
  type: fc.constantFrom(...TYPES),
  pick: fc.nat(),
  stored: fc.boolean(),
  notNull: fc.boolean(),
  // Reads the previous generated column (when it has one of a numeric type).
  chained: fc.boolean(),
});

const value = {
  a: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constant(null)),
  b: fc.constantFrom(0.5, -1.25, 3, 2.75, null),
  c: fc.constantFrom('abc', '', 'Zed', null, '12', 'e e'),
};

const op = fc.oneof(
  fc.record({ t: fc.constant('insert' as const), a: value.a, b: value.b, c: value.c }),
  fc.record({ t: fc.constant('update' as const), a: value.a, c: value.c, k: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ t: fc.constant('upsert' as const), id: fc.integer({ min: 1, max: 8 }), a: value.a }),
  fc.record({ t: fc.constant('delete' as const), k: fc.integer({ min: 0, max: 6 }) }),
);

test('property: random generated columns under random writes equal SQLite row for row', () => {
  fc.assert(
    fc.property(
      fc.array(generatedColumn, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.array(op, { minLength: 1, maxLength: 25 }),
      (gens, indexed, ops) => {
        const cols = gens.map((g, i) => {
          const prev = i > 0 ? gens[i - 1] : null;
          const expr =
            g.chained && prev !== null && prev.type === 'INTEGER' && g.type !== 'TEXT'
              ? `g${i - 1} * 3 + 1`
              : g.type === ''
                ? UNTYPED[g.pick % UNTYPED.length]
                : EXPRS[g.type][g.pick % EXPRS[g.type].length];
          const type = g.type === '' ? '' : ` ${g.type}`;
          return `g${i}${type}${g.notNull ? ' NOT NULL' : ''} AS (${expr})${g.stored ? ' STORED' : ''}`;
        });
        const statements = [
          `CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, c TEXT, ${cols.join(', ')})`,
          ...(indexed ? [`CREATE INDEX t_g ON t (g${gens.length - 1})`] : []),
        ];
        withPair((run) => {
          for (const sql of statements) run(sql);
          const last = `g${gens.length - 1}`;
          for (const o of ops) {
            if (o.t === 'insert') run('INSERT INTO t (a, b, c) VALUES (?, ?, ?)', [o.a, o.b, o.c]);
            else if (o.t === 'update') run(`UPDATE t SET a = ?, c = ? WHERE id % ${o.k} = 0`, [o.a, o.c]);
            else if (o.t === 'upsert')
              run('INSERT INTO t (id, a) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET a = excluded.a + 1', [
                o.id,
                o.a,
              ]);
            else run(`DELETE FROM t WHERE id % 7 = ${o.k}`);
            run('SELECT * FROM t ORDER BY id');
          }
          run(`SELECT id, ${last} FROM t WHERE ${last} IS NOT NULL ORDER BY ${last}, id`);
          run('ALTER TABLE t ADD COLUMN z TEXT AS (g0 || a)');
          run('SELECT * FROM t ORDER BY id');
        });
      },
    ),
    { numRuns: 300, seed: 20261204 },
  );
});
