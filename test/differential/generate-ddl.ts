/**
 * Differential generators for the DDL forms of issue 12: CREATE TABLE … AS SELECT over `t`,
 * tables with DEFAULT (expr) columns filled by INSERT … SELECT, AUTOINCREMENT tables whose
 * largest rows are deleted, and ALTER TABLE RENAME of `t` and its columns (renamed back at once,
 * so the other generators keep their names); and of issue 13: STRICT / WITHOUT ROWID tables,
 * TEMP tables and VACUUM. Each statement carries the reads that check it
 * (`then`): the new table's rows, or `t` through its new names.
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';
import { literalArb, q, TEXTS } from './literals';

let serial = 0;
const fresh = (prefix: string): string => `${prefix}${++serial}`;

const ddl = (sql: string, then: Stmt[] = []): Stmt => ({
  sql,
  params: [],
  ordered: false,
  kind: 'ddl',
  then,
});
const ordered = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });
const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });

/** A select-list item over `t` with a static type both engines agree on, aliased. */
function itemArb(cols: Col[], i: number): fc.Arbitrary<string> {
  const named = cols.filter((c) => c.type !== 'BOOLEAN');
  const options: fc.Arbitrary<string>[] = [fc.constant('id'), fc.constant('id * 2 + 1')];
  if (named.length) options.push(fc.constantFrom(...named.map((c) => c.name)));
  for (const c of cols) {
    if (c.type === 'INTEGER') options.push(fc.constant(`${c.name} + 1`), fc.constant(`abs(${c.name})`));
    if (c.type === 'REAL') options.push(fc.constant(`${c.name} * 2`));
    if (c.type === 'TEXT') options.push(fc.constant(`upper(${c.name})`), fc.constant(`${c.name} || 'x'`));
  }
  return fc.oneof(...options).map((e) => `${e} AS k${i}`);
}

/** CREATE TABLE … AS SELECT, then the copy read back in insertion order. */
function createAs(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc
        .integer({ min: 1, max: 4 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => itemArb(cols, i)))),
      fc.option(fc.integer({ min: 1000, max: 1080 })),
      fc.boolean(),
    )
    .map(([items, below, star]) => {
      const name = fresh('copy');
      const where = below === null ? '' : ` WHERE id < ${below}`;
      const list = star ? '*' : items.join(', ');
      return ddl(`CREATE TABLE ${name} AS SELECT ${list} FROM t${where} ORDER BY id`, [
        ordered(`SELECT * FROM ${name} ORDER BY rowid`),
        ordered(`SELECT count(*) FROM ${name}`),
      ]);
    });
}

/** A constant INTEGER or TEXT expression, for a DEFAULT of that type. */
function constExprArb(type: 'INTEGER' | 'TEXT'): fc.Arbitrary<string> {
  const int = literalArb('INTEGER').map((v) => `(${v})`);
  const text = fc.constantFrom(...TEXTS).map(q);
  if (type === 'INTEGER')
    return fc.oneof(
      fc.tuple(int, fc.constantFrom('+', '-', '*'), int).map(([a, op, b]) => `${a} ${op} ${b}`),
      int.map((a) => `abs(${a})`),
      text.map((s) => `length(${s})`),
      fc.tuple(int, int).map(([a, b]) => `max(${a}, ${b})`),
    );
  return fc.oneof(
    text.map((s) => `upper(${s})`),
    fc.tuple(text, text).map(([a, b]) => `${a} || ${b}`),
    fc.tuple(text, int).map(([s, n]) => `substr(${s}, 1 + abs(${n}) % 3)`),
    int.map((n) => `'n' || ${n}`),
  );
}

/** A table with DEFAULT (expr) columns, filled from `t` leaving them out (and once not). */
function defaults(): fc.Arbitrary<Stmt> {
  return fc.tuple(constExprArb('INTEGER'), constExprArb('TEXT'), fc.boolean()).map(([n, s, notNull]) => {
    const name = fresh('dflt');
    return ddl(
      `CREATE TABLE ${name} (id INTEGER PRIMARY KEY, n INTEGER${notNull ? ' NOT NULL' : ''} DEFAULT (${n}), s TEXT DEFAULT (${s}), k TEXT DEFAULT 'lit')`,
      [
        write(`INSERT INTO ${name} (id) SELECT id FROM t`),
        write(`INSERT INTO ${name} DEFAULT VALUES`),
        write(`INSERT INTO ${name} (id, s) VALUES (1, 'given')`),
        ordered(`SELECT * FROM ${name} ORDER BY id`),
      ],
    );
  });
}

/** AUTOINCREMENT: the largest rows deleted, then new rows must not reuse their keys. */
function autoincrement(): fc.Arbitrary<Stmt> {
  return fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()).map(([keep, explicit]) => {
    const name = fresh('seq');
    return ddl(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY AUTOINCREMENT, v INTEGER)`, [
      write(`INSERT INTO ${name} (v) SELECT id FROM t ORDER BY id`),
      ...(explicit ? [write(`INSERT INTO ${name} VALUES (5000, 0)`)] : []),
      write(`DELETE FROM ${name} WHERE id > ${keep}`),
      write(`INSERT INTO ${name} (v) VALUES (1), (2)`),
      ordered(`SELECT * FROM ${name} ORDER BY id`),
    ]);
  });
}

/** RENAME COLUMN / RENAME TO on `t`, reads through the new names, and back. */
function rename(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc.tuple(fc.constantFrom(...cols), fc.boolean(), literalArb('INTEGER')).map(([c, table, v]) => {
    const to = `${c.name}_r`;
    const where = c.type === 'INTEGER' ? ` WHERE ${to} > ${v}` : '';
    if (table)
      return ddl('ALTER TABLE t RENAME TO t_r', [
        ordered(`SELECT * FROM t_r ORDER BY id`),
        ordered(`SELECT id, ${c.name} FROM t_r${where.replace(to, c.name)} ORDER BY id`),
        ddl('ALTER TABLE t_r RENAME TO t'),
      ]);
    return ddl(`ALTER TABLE t RENAME COLUMN ${c.name} TO ${to}`, [
      ordered(`SELECT id, ${to} FROM t${where} ORDER BY id`),
      ddl(`ALTER TABLE t RENAME ${to} TO ${c.name}`),
    ]);
  });
}

/**
 * STRICT / WITHOUT ROWID tables (issue 13) filled from `t` and changed; `rowid` is an error in
 * both engines for a WITHOUT ROWID table.
 */
function tableOptions(): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.constantFrom('STRICT', 'WITHOUT ROWID', 'STRICT, WITHOUT ROWID', 'WITHOUT ROWID, STRICT'),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 }),
    )
    .map(([options, composite, m]) => {
      const name = fresh('opt');
      const key = composite
        ? 'k TEXT, n INTEGER, v REAL, PRIMARY KEY (k, n)'
        : 'n INTEGER PRIMARY KEY, k TEXT, v REAL';
      return ddl(`CREATE TABLE ${name} (${key}) ${options}`, [
        write(`INSERT INTO ${name} (n, k, v) SELECT id, 'k' || (id % 3), id * 1.5 FROM t`),
        write(
          `INSERT OR REPLACE INTO ${name} (n, k, v) SELECT id, 'k' || (id % 3), -1.0 FROM t WHERE id % 2 = 0`,
        ),
        write(`UPDATE ${name} SET v = v + 1 WHERE n % 3 = ${m}`),
        write(`DELETE FROM ${name} WHERE n % 3 = ${(m + 1) % 3}`),
        ordered(`SELECT * FROM ${name} ORDER BY n, k`),
        ordered(`SELECT k, count(*), sum(v) FROM ${name} GROUP BY k ORDER BY k`),
        ordered(`SELECT rowid, n FROM ${name} ORDER BY n`),
      ]);
    });
}

/** A TEMP table (issue 13) written and read through both spellings, then dropped. */
function tempTable(): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.boolean(),
      fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 5 }),
      fc.constantFrom(...TEXTS),
    )
    .map(([qualified, values, s]) => {
      const name = fresh('tmp');
      const create = qualified ? `CREATE TABLE temp.${name}` : `CREATE TEMP TABLE ${name}`;
      return ddl(`${create} (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)`, [
        write(`INSERT INTO ${name} (v, s) VALUES ${values.map((v) => `(${v}, ${q(s)})`).join(', ')}`),
        write(`UPDATE temp.${name} SET v = v * 2 WHERE id % 2 = 1`),
        ordered(`SELECT * FROM ${name} ORDER BY id`),
        ordered(`SELECT type, name FROM sqlite_temp_master WHERE name = '${name}'`),
        ordered(`SELECT count(*), sum(v) FROM temp.${name}`),
        ddl(`DROP TABLE temp.${name}`),
      ]);
    });
}

/** VACUUM (issue 13), after which the suite reads `t` again. */
function vacuum(): fc.Arbitrary<Stmt> {
  return fc.constantFrom('VACUUM', 'VACUUM main').map((sql) => ddl(sql, [ordered('SELECT count(*) FROM t')]));
}

export function ddlStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc.oneof(
    createAs(cols),
    defaults(),
    autoincrement(),
    rename(cols),
    tableOptions(),
    tempTable(),
    vacuum(),
  );
}
