/**
 * Regression (issue 11, item 9): `Database.open(f, JSON.parse('{"__proto__": {…}}'))` threw a raw
 * TypeError, and with `rowMode: 'object'` a column aliased "__proto__" disappeared while a BLOB
 * value could change the row's prototype. Options are read as own properties; object rows define
 * every column as an own property.
 */
import { connect, Database, InterfaceError, ProgrammingError } from '../../src/index';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('options are own properties, checked', () => {
  test.each([
    ['Database.openInMemory', (o: unknown) => Database.openInMemory(o as never)],
    ['connect', (o: unknown) => connect(':memory:', o as never)],
  ])('%s refuses a JSON "__proto__" key with BAD_OPTION', (_name, open) => {
    for (const text of ['{"__proto__": {"readOnly": true}}', '{"__proto__": 5}', '{"__proto__": null}']) {
      const err = caught(() => open(JSON.parse(text)));
      expect(err).toBeInstanceOf(InterfaceError);
      expect((err as InterfaceError).code).toBe('BAD_OPTION');
    }
  });

  test('inherited options are not options', () => {
    const db = Database.openInMemory(Object.create({ readOnly: true }) as never);
    db.registerCollection('c', [{ path: 'id', type: 'int64' }], 'id');
    db.insert('c', { id: 1 }); // would be READ_ONLY if the inherited readOnly were read
    db.close();
  });

  test('a bad option value that cannot be turned into text is still a BAD_OPTION', () => {
    for (const v of [Object.create(null), Symbol('x'), [1]]) {
      const err = caught(() => Database.openInMemory({ readOnly: v } as never));
      expect(err).toBeInstanceOf(InterfaceError);
      expect((err as InterfaceError).code).toBe('BAD_OPTION');
    }
  });
});

describe("rowMode 'object' keeps every column as an own property", () => {
  const con = connect(':memory:', { rowMode: 'object', autocommit: true });
  con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, s TEXT)');
  con.execute("INSERT INTO t VALUES (1, x'0102', 'x')");

  test('a column aliased "__proto__" is a column, and a BLOB there does not change the prototype', () => {
    const row = con.execute('SELECT id, b AS "__proto__", s AS "constructor" FROM t').fetchOne() as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['id', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toEqual(Buffer.from([1, 2]));
    expect(row.constructor).toBe('x');
    expect(JSON.parse(JSON.stringify(row)).__proto__).toEqual({ type: 'Buffer', data: [1, 2] });
  });

  test('named parameters are read as own properties', () => {
    const c = connect(':memory:', { autocommit: true });
    c.execute('CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)');
    c.execute("INSERT INTO p VALUES (1, 'a')");
    const err = caught(() => c.execute('SELECT v FROM p WHERE v = :constructor', {}));
    expect(err).toBeInstanceOf(ProgrammingError);
    expect((err as ProgrammingError).code).toBe('PARAMETER');
    expect(
      c.execute('SELECT v FROM p WHERE v = :__proto__', JSON.parse('{"__proto__": "a"}')).fetchAll(),
    ).toEqual([['a']]);
  });
});

describe('typed aggregate() names are own properties', () => {
  test('an aggregate named "__proto__" is a field of the result row', () => {
    const db = Database.openInMemory();
    db.registerCollection(
      'c',
      [
        { path: 'id', type: 'int64' },
        { path: 'n', type: 'int64' },
      ],
      'id',
    );
    db.insert('c', { id: 1, n: 5 });
    const [row] = db.collection('c').aggregate(JSON.parse('{"__proto__": {"fn": "sum", "path": "n"}}'));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(5);
    db.close();
  });
});
