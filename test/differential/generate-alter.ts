/**
 * Differential generator for ALTER TABLE … DROP COLUMN (issue 16, item 5): a copy of `t` with the
 * same columns, constraints and indexes (so the other generators keep `t` as it is), one of its
 * columns dropped — a key, indexed or UNIQUE column is refused in both engines, an index dropped
 * first lets it go — optionally with a view reading it, then the copy read back, written to, and
 * the column added back (empty).
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';

let serial = 0;

const ddl = (sql: string, then: Stmt[] = []): Stmt => ({
  sql,
  params: [],
  ordered: false,
  kind: 'ddl',
  then,
});
const ordered = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });
const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });

function def(c: Col): string {
  return `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}${c.collate ? ` COLLATE ${c.collate}` : ''}`;
}

export function alterStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.constantFrom('id', ...cols.map((c) => c.name)),
      fc.boolean(),
      fc.constantFrom<'none' | 'reads' | 'other'>('none', 'none', 'reads', 'other'),
      fc.boolean(),
    )
    .map(([target, dropIndexFirst, view, columnKeyword]) => {
      const name = `dc${++serial}`;
      const col = cols.find((c) => c.name === target);
      const rest = cols.filter((c) => c.name !== target);
      const setup: Stmt[] = [
        write(`INSERT INTO ${name} SELECT * FROM t`),
        ...cols
          .filter((c) => c.indexed)
          .map((c) =>
            ddl(`CREATE ${c.unique ? 'UNIQUE ' : ''}INDEX ${name}_${c.name} ON ${name} (${c.name})`),
          ),
      ];
      if (view !== 'none') {
        const read = view === 'reads' ? target : rest.length ? rest[0].name : 'id';
        setup.push(ddl(`CREATE VIEW ${name}_v AS SELECT id, ${read} FROM ${name}`));
      }
      if (dropIndexFirst && col?.indexed) setup.push(ddl(`DROP INDEX ${name}_${col.name}`));
      const keep = ['id', ...rest.map((c) => c.name)].join(', ');
      return ddl(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, ${cols.map(def).join(', ')})`, [
        ...setup,
        ddl(`ALTER TABLE ${name} DROP ${columnKeyword ? 'COLUMN ' : ''}${target}`),
        ordered(`SELECT * FROM ${name} ORDER BY id`),
        ordered(`SELECT ${keep} FROM ${name} ORDER BY id`),
        ...(view === 'other' ? [ordered(`SELECT * FROM ${name}_v ORDER BY id`)] : []),
        write(`INSERT INTO ${name} (${keep}) SELECT ${keep} FROM t WHERE id < 1003`),
        write(`DELETE FROM ${name} WHERE id % 2 = 0`),
        ...(col ? [ddl(`ALTER TABLE ${name} ADD COLUMN ${col.name} ${col.type}`)] : []),
        ordered(`SELECT * FROM ${name} ORDER BY id`),
      ]);
    });
}
