/**
 * The canonical CREATE text (planner/introspect/create-sql.ts): names quoted exactly when needed,
 * stored values as SQL literals, and — property — the CREATE TABLE of any SQL table, run in
 * SQLite, gives the column names, declared types and keys ModelVault's own PRAGMA shows.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { sqlLiteral, sqlName } from '../../planner/introspect/create-sql';

describe('sqlName', () => {
  test.each([
    ['books', 'books'],
    ['_x9', '_x9'],
    ['order', '"order"'],
    ['Select', '"Select"'],
    ['a b', '"a b"'],
    ['9lives', '"9lives"'],
    ['say "hi"', '"say ""hi"""'],
    ['profile.tz', '"profile.tz"'],
    ['ünï', '"ünï"'],
  ])('%s → %s', (name, sql) => expect(sqlName(name)).toBe(sql));
});

describe('sqlLiteral', () => {
  test.each<[unknown, string]>([
    [null, 'NULL'],
    [5, '5'],
    [-3, '-3'],
    [2.5, '2.5'],
    [1e300, '1.0e+300'],
    [-0, '0.0'],
    [9223372036854775807n, '9223372036854775807'],
    [true, '1'],
    [false, '0'],
    ["it's", "'it''s'"],
    [Buffer.from([0, 171]), "X'00AB'"],
    [new Date('2020-01-02T03:04:05.000Z'), "'2020-01-02T03:04:05.000Z'"],
  ])('%p → %s', (value, sql) => expect(sqlLiteral(value)).toBe(sql));

  test('every literal reads back in SQLite as the same value', () => {
    const db = new BetterSqlite3(':memory:');
    db.defaultSafeIntegers(true);
    const check = fc.property(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.string(),
      ),
      (v) => {
        const got = db
          .prepare(`SELECT ${sqlLiteral(v)}`)
          .pluck()
          .get();
        if (typeof v === 'number') expect(Number(got)).toBe(Object.is(v, -0) ? 0 : v);
        else if (typeof v === 'bigint') expect(BigInt(got as bigint)).toBe(v);
        else expect(got).toBe(v);
      },
    );
    fc.assert(check, { numRuns: 300, seed: 42 });
    db.close();
  });
});

const TYPES = [
  'INTEGER',
  'INT',
  'BIGINT',
  'REAL',
  'Float',
  'double precision',
  'TEXT',
  'varchar(12)',
  'BLOB',
  'BOOLEAN',
];
const NAMES = ['a', 'b2', 'order', 'group', 'with space', 'quo"te', 'x.y', 'Ünï', 'key', 'values'];

test('the generated CREATE TABLE rebuilds the same columns in SQLite (property)', () => {
  const column = fc.record({
    type: fc.constantFrom(...TYPES),
    notNull: fc.boolean(),
    unique: fc.boolean(),
  });
  const table = fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 5 }),
      fc.array(column, { minLength: 5, maxLength: 5 }),
      fc.integer({ min: -1, max: 4 }),
    )
    .map(([names, cols, pk]) => ({
      cols: names.map((name, i) => ({ ...cols[i], name })),
      pk: pk < names.length ? pk : -1,
    }));
  fc.assert(
    fc.property(table, ({ cols, pk }) => {
      const defs = cols.map((c, i) => {
        const name = `"${c.name.split('"').join('""')}"`;
        const key = i === pk ? ' PRIMARY KEY' : '';
        const blobKey = i === pk && c.type === 'BOOLEAN';
        return `${name} ${blobKey ? 'TEXT' : c.type}${key}${c.notNull && i !== pk ? ' NOT NULL' : ''}${c.unique && i !== pk && c.type !== 'BOOLEAN' ? ' UNIQUE' : ''}`;
      });
      const create = `CREATE TABLE "weird table" (${defs.join(', ')})`;
      const mv = connect(':memory:', { autocommit: true });
      const sqlite = new BetterSqlite3(':memory:');
      try {
        try {
          mv.execute(create);
        } catch {
          return; // a key type ModelVault refuses (REAL, BOOLEAN primary keys): nothing to compare
        }
        const generated = mv
          .execute("SELECT sql FROM sqlite_master WHERE type = 'table'")
          .fetchOne() as unknown[];
        sqlite.exec(String(generated[0]));
        const ours = mv.execute('PRAGMA table_info("weird table")').fetchAll();
        const theirs = sqlite.prepare('PRAGMA table_info("weird table")').raw(true).all();
        expect(ours).toEqual(theirs);
        const ourIndexes = mv.execute('PRAGMA index_list("weird table")').fetchAll();
        const theirIndexes = sqlite.prepare('PRAGMA index_list("weird table")').raw(true).all();
        expect(ourIndexes).toEqual(theirIndexes);
      } finally {
        mv.close();
        sqlite.close();
      }
    }),
    { numRuns: 150, seed: 7 },
  );
});
