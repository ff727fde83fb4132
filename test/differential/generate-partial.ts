/**
 * Differential generator for partial indexes and indexes on expressions (issue 13): a
 * `CREATE [UNIQUE] INDEX … ON t (key) [WHERE pred]` over `t`, then reads the planner may answer
 * through it (the WHERE repeated, an equality on the key, ORDER BY the key), writes that move
 * rows into and out of it (and clash on a UNIQUE one), and the index dropped again so the other
 * generators keep `t` as they know it (ALTER TABLE RENAME is refused while such an index reads a
 * column).
 */
import fc from 'fast-check';
import type { Col, ColType, Stmt } from './literals';
import { literalArb, q } from './literals';

let serial = 0;

const select = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });
const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });
const ddl = (sql: string, then: Stmt[] = []): Stmt => ({
  sql,
  params: [],
  ordered: false,
  kind: 'ddl',
  then,
});

/** A key over `c`: the column, or an expression of it, with the type of its values. */
function keyArb(c: Col): fc.Arbitrary<{ expr: string; type: ColType }> {
  const of = (expr: string, type: ColType): { expr: string; type: ColType } => ({ expr, type });
  switch (c.type) {
    case 'INTEGER':
      return fc.constantFrom(
        of(c.name, 'INTEGER'),
        of(`${c.name} + 1`, 'INTEGER'),
        of(`abs(${c.name})`, 'INTEGER'),
        of(`${c.name} % 3`, 'INTEGER'),
      );
    case 'REAL':
      return fc.constantFrom(of(c.name, 'REAL'), of(`${c.name} * 2`, 'REAL'));
    case 'TEXT':
      return fc.constantFrom(
        of(c.name, 'TEXT'),
        of(`lower(${c.name})`, 'TEXT'),
        of(`${c.name} || 'x'`, 'TEXT'),
        of(`length(${c.name})`, 'INTEGER'),
      );
    default:
      return fc.constant(of(c.name, c.type));
  }
}

/** A partial index's WHERE over `c` (deterministic, comparing like types). */
function whereArb(c: Col): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [fc.constant(`${c.name} IS NOT NULL`)];
  if (c.type === 'INTEGER' || c.type === 'REAL')
    options.push(
      literalArb(c.type).map((v) => `${c.name} > ${v}`),
      literalArb(c.type).map((v) => `${c.name} = ${v}`),
    );
  if (c.type === 'TEXT')
    options.push(fc.constantFrom('a%', 'b%', '%z%').map((p) => `${c.name} LIKE ${q(p)}`));
  return fc.oneof(...options);
}

export function partialIndexStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  const usable = cols.filter((c) => c.type !== 'BLOB' && c.type !== 'BOOLEAN');
  if (usable.length === 0) return fc.constant(select('SELECT count(*) FROM t'));
  const col = fc.constantFrom(...usable);
  return fc
    .tuple(col, col, fc.boolean(), fc.boolean(), fc.boolean())
    .chain(([kc, wc, partial, unique, second]) =>
      fc.tuple(
        keyArb(kc),
        partial ? whereArb(wc).map((w): string | null => w) : fc.constant<string | null>(null),
        // A UNIQUE key under a collation is refused by ModelVault (entries compare BINARY).
        fc.constant(unique && kc.collate === undefined),
        fc.constant(second),
        fc.constant(kc),
      ),
    )
    .chain(([key, where, unique, second, kc]) =>
      fc
        .tuple(literalArb(key.type), literalArb(kc.type), fc.constantFrom(2, 3, 5))
        .map(([value, newValue, every]) => {
          const name = `px${++serial}`;
          // Two key columns: the key, then id (which keeps a UNIQUE index from refusing rows).
          const keys = second ? `${key.expr}, id` : key.expr;
          // Only an index with an expression or a WHERE is one of this generator's.
          const special = key.expr !== kc.name || where !== null;
          const clause = where === null ? '' : ` WHERE ${where}`;
          const also = where === null ? '' : ` AND (${where})`;
          if (!special) return select('SELECT count(*) FROM t');
          return ddl(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name} ON t (${keys})${clause}`, [
            select(`SELECT * FROM t WHERE ${key.expr} = ${value}${also} ORDER BY id`),
            select(`SELECT id FROM t WHERE 1${also} ORDER BY id`),
            select(`SELECT id, ${key.expr} FROM t WHERE 1${also} ORDER BY ${key.expr}, id LIMIT 6`),
            select(`SELECT id, ${key.expr} FROM t WHERE 1${also} ORDER BY ${key.expr} DESC, id DESC LIMIT 6`),
            write(`UPDATE t SET ${kc.name} = ${newValue} WHERE id % ${every} = 0`),
            select(`SELECT * FROM t WHERE ${key.expr} = ${value}${also} ORDER BY id`),
            write(`DELETE FROM t WHERE ${key.expr} = ${value}${also}`),
            select(`SELECT count(*) FROM t WHERE 1${also}`),
            ddl(`DROP INDEX ${name}`),
          ]);
        }),
    );
}
