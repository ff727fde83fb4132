/**
 * `UPDATE t SET … FROM …` (SQLite ≥ 3.33): the target joined with the FROM clause as a whole,
 * as SQLite runs it: every target row against every row the FROM clause yields (so an outer join
 * inside FROM never NULL-extends the target), and the FROM clause's ON terms cannot name the
 * target. The FROM clause is lowered through the ordinary join machinery (parser/lower-from.ts)
 * at a row offset after the target's columns, which stay at their stored positions; WHERE and
 * the SET expressions read that joined row.
 */
import { QueryError } from '../src/errors';
import { L } from '../planner/logical';
import type { FromAst } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader, TableScope } from './scope';
import type { Member, MultiScope } from './join-scope';
import { lowerFrom } from './lower-from';

export function updateFromScope(
  from: FromAst,
  target: TableScope,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): MultiScope {
  const width = target.compiled.columnCount;
  const sources = lowerFrom(from, catalog, params, sql, width);
  // SQLite's rule: an unaliased target may not be read again, unaliased, as a FROM source.
  const name = target.schema.name.toLowerCase();
  const again = [from.first, ...from.joins.map((j) => j.source)].some(
    (src) => src.t === 'table' && src.alias === null && src.name.toLowerCase() === name,
  );
  if (target.qualifiers.includes(name) && again)
    throw new QueryError(
      `target object/alias may not appear in FROM clause: ${target.schema.name}`,
      'QUERY',
      {
        sql,
      },
    );
  const own: Member = {
    qualifiers: target.qualifiers,
    offset: 0,
    width,
    table: target,
    derived: null,
    join: null,
    nullable: false,
    leftOfRight: false,
    mergedAway: new Set(),
  };
  return {
    kind: 'multi',
    members: [own, ...sources.members],
    width: sources.width,
    plan: L.join(
      'inner',
      L.scan(target.schema.name, target.hint),
      sources.plan,
      null,
      width,
      sources.width - width,
    ),
    where: sources.where,
  };
}
