/**
 * Differential compound SELECTs: two to four arms joined by UNION, UNION ALL, INTERSECT and
 * EXCEPT, each arm a SELECT over the case's table (columns, `id`, arithmetic, WHERE), a SELECT
 * of literals or VALUES rows, then ORDER BY by position or first-arm alias and LIMIT/OFFSET.
 * Columns with a declared collation are left out: which of several values equal under NOCASE
 * or RTRIM SQLite keeps depends on its temporary index. Rows are compared in order only when
 * ORDER BY names every column (then the order is total), and LIMIT is only used then (never
 * after a VALUES arm that ends the compound: SQLite's grammar refuses that).
 */
import fc from 'fast-check';
import type { Col, ColType, Stmt } from './literals';
import { literalArb } from './literals';

const OPS = ['UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT'] as const;

/** A result term of a table arm for a column of the first arm's type (or any type, mixed on purpose). */
function termArb(cols: Col[]): fc.Arbitrary<string> {
  const names = cols.filter((c) => !c.collate).map((c) => c.name);
  const nums = cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL').map((c) => c.name);
  const terms: fc.Arbitrary<string>[] = [fc.constantFrom('id', ...names), fc.constant('id % 3')];
  if (nums.length)
    terms.push(
      fc
        .tuple(fc.constantFrom(...nums), fc.constantFrom('+ 1', '* 2', '/ 2', '% 2'))
        .map(([c, op]) => `${c} ${op}`),
    );
  return fc.oneof(...terms);
}

function literalTermArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<ColType>('INTEGER', 'REAL', 'TEXT').chain((t) => literalArb(t)) },
    { weight: 1, arbitrary: fc.constant('NULL') },
    { weight: 1, arbitrary: fc.constantFrom('0', '1', '2', '2.0', "'1'") },
  );
}

function armArb(cols: Col[], width: number, where: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const terms = (arb: fc.Arbitrary<string>): fc.Arbitrary<string[]> =>
    fc.array(arb, { minLength: width, maxLength: width });
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(terms(termArb(cols)), fc.boolean(), fc.option(where, { freq: 2 }))
        .map(
          ([ts, distinct, w]) =>
            `SELECT ${distinct ? 'DISTINCT ' : ''}${ts.join(', ')} FROM t${w === null ? '' : ` WHERE ${w}`}`,
        ),
    },
    { weight: 1, arbitrary: terms(literalTermArb()).map((ts) => `SELECT ${ts.join(', ')}`) },
    {
      weight: 1,
      arbitrary: fc
        .array(terms(literalTermArb()), { minLength: 1, maxLength: 3 })
        .map((rows) => `VALUES ${rows.map((r) => `(${r.join(', ')})`).join(', ')}`),
    },
  );
}

/** Simple WHERE terms on `id` and the numeric columns (predArb would make the arms long). */
function whereArb(cols: Col[]): fc.Arbitrary<string> {
  const nums = cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL').map((c) => c.name);
  return fc.oneof(
    fc.integer({ min: 995, max: 1060 }).map((v) => `id > ${v}`),
    fc.integer({ min: 0, max: 3 }).map((v) => `id % 4 = ${v}`),
    ...(nums.length
      ? [
          fc
            .tuple(fc.constantFrom(...nums), fc.constantFrom('<', '>=', 'IS NULL', 'IS NOT NULL'))
            .map(([c, op]) => (op.startsWith('IS') ? `${c} ${op}` : `${c} ${op} 1`)),
        ]
      : []),
  );
}

export function compoundSelectArb(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.boolean())
    .chain(([width, nOps, aliased]) => {
      const arm = armArb(cols, width, whereArb(cols));
      return fc.tuple(
        fc.constant(width),
        fc.constant(aliased),
        fc.array(arm, { minLength: nOps + 1, maxLength: nOps + 1 }),
        fc.array(fc.constantFrom(...OPS), { minLength: nOps, maxLength: nOps }),
        // ORDER BY: none, every column (a total order), or a prefix; each by position or alias.
        fc.constantFrom<'none' | 'all' | 'some'>('none', 'all', 'all', 'some'),
        fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: width, maxLength: width }),
        fc.option(fc.tuple(fc.integer({ min: -1, max: 5 }), fc.option(fc.integer({ min: 0, max: 3 }))), {
          freq: 2,
        }),
        // One statement in twenty has arms of different widths (SQLite's error).
        fc.integer({ min: 0, max: 19 }),
      );
    })
    .map(([width, aliased, arms, ops, order, dirs, limit, bad]) => {
      let first = arms[0];
      // Alias the first arm's columns (a SELECT over t) so ORDER BY may name them.
      const canAlias = aliased && first.startsWith('SELECT ') && first.includes(' FROM t');
      if (canAlias) {
        const from = first.indexOf(' FROM t');
        const head = first.slice(0, from).replace(/^SELECT (DISTINCT )?/, '');
        const distinct = first.startsWith('SELECT DISTINCT ') ? 'DISTINCT ' : '';
        const terms = splitTerms(head);
        first = `SELECT ${distinct}${terms.map((t, i) => `${t} AS o${i}`).join(', ')}${first.slice(from)}`;
      }
      const all = [first, ...arms.slice(1)];
      if (bad === 0)
        all[all.length - 1] = `SELECT ${Array.from({ length: width + 1 }, (_, i) => i).join(', ')}`;
      let sql = all.map((a, i) => (i === 0 ? a : `${ops[i - 1]} ${a}`)).join(' ');
      // SQLite's grammar allows no ORDER BY or LIMIT after a VALUES arm that ends the compound.
      const valuesLast = all[all.length - 1].startsWith('VALUES');
      const count = valuesLast ? 0 : order === 'all' ? width : order === 'some' ? 1 : 0;
      const keys = dirs
        .slice(0, count)
        .map(([byName, desc], i) => `${byName && canAlias ? `o${i}` : i + 1}${desc ? ' DESC' : ''}`);
      if (keys.length) sql += ` ORDER BY ${keys.join(', ')}`;
      const total = count === width;
      if (total && limit) sql += ` LIMIT ${limit[0]}${limit[1] === null ? '' : ` OFFSET ${limit[1]}`}`;
      return { sql, params: [], ordered: total, kind: 'select' as const };
    });
}

/** The comma-separated terms of a select list whose terms contain no commas (as generated here). */
function splitTerms(list: string): string[] {
  return list.split(', ');
}
