/**
 * Where a statement of a connection with temporary tables runs (cursor/temp-schema.ts): on the
 * database, on the temporary database, or — for a query naming tables of both — over a view
 * holding both, each table's rows read from its own store (planner/foreign-tables.ts). A write
 * of one schema runs on it: an INSERT … SELECT or CREATE TABLE … AS reading the other gets its
 * query's rows first, as constant rows; an UPDATE, DELETE or INSERT whose subqueries read the
 * other's tables reads them through the same kind of view (planner/write.ts).
 */
import type { Database } from '../src/database';
import { QueryError } from '../src/errors';
import type { LoweredStatement } from '../parser/ir';
import { combinedView, openResult, physicalPlan } from '../planner/run';
import type { ForeignStore, RunOptions } from '../planner/run';
import type { ForeignReads } from '../planner/write-access';
import type { ReadView } from '../storage/row-reader';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import { L } from '../planner/logical';
import { mixed, readsQuery } from './temp-schema';
import type { Route, TempSchema } from './temp-schema';
import type { Params } from './values';

/** A query over both schemas: the view to plan and run it over, and the temporary tables' store. */
export interface BothSchemas {
  readonly view: ReadView;
  readonly foreign: ForeignStore;
}

export interface RoutedStatement {
  readonly db: Database;
  readonly stmt: LoweredStatement['stmt'];
  /** Set when a query reads tables of both schemas. */
  readonly both: BothSchemas | null;
  /** Set when a write's subqueries read tables of the schema it does not write. */
  readonly reads: ForeignReads | null;
}

/**
 * The store of schema `schema` (`other`) and the names of its tables a statement run on `home`
 * reads.
 */
function foreignReads(
  other: Database,
  schema: 'main' | 'temp',
  home: ReadView,
  wanted: ReadonlySet<string>,
): ForeignReads {
  const view = other.readView();
  return {
    store: { view, readers: other.storage.readersFor(view), schema, home },
    names: other.visibleCollectionNames().filter((n) => wanted.has(n.toLowerCase())),
  };
}

/** The view of `main` with the temporary tables `route` found, and their store. */
export function bothSchemas(main: Database, temp: TempSchema, route: Route): BothSchemas {
  const home = main.readView();
  const { store, names } = foreignReads(temp.database, 'temp', home, route.tablesIn('temp'));
  return { view: combinedView(home, store.view, names), foreign: store };
}

export function routeStatement(
  lowered: LoweredStatement,
  route: Route | undefined,
  main: Database,
  temp: TempSchema,
  bound: Params,
  session: RunOptions['session'],
): RoutedStatement {
  const stmt = lowered.stmt;
  const where = route?.resolve(readsQuery(stmt.kind)) ?? 'main';
  // DROP INDEX names no table: a temporary table's index is found first, as SQLite does.
  if (stmt.kind === 'dropIndex' && route?.qualifierOf(stmt.name) === undefined && temp.hasIndex(stmt.name))
    return { db: temp.database, stmt, both: null, reads: null };
  const schemaDb = (schema: 'main' | 'temp'): Database => (schema === 'temp' ? temp.database : main);
  if (where !== 'both' || route === undefined)
    return { db: schemaDb(where === 'both' ? 'main' : where), stmt, both: null, reads: null };
  if (stmt.kind === 'select' || stmt.kind === 'explain')
    return { db: main, stmt, both: bothSchemas(main, temp, route), reads: null };
  if (stmt.kind === 'update' || stmt.kind === 'delete' || (stmt.kind === 'insert' && stmt.select === null)) {
    const write = route.writeSchema(stmt.collection);
    const other = write === 'temp' ? 'main' : 'temp';
    const db = schemaDb(write);
    const reads = foreignReads(schemaDb(other), other, db.readView(), route.tablesIn(other));
    return { db, stmt, both: null, reads };
  }
  if ((stmt.kind !== 'insert' && stmt.kind !== 'createTableAs') || stmt.select === null) throw mixed();
  const target = stmt.kind === 'insert' ? stmt.collection : stmt.name;
  const write = route.writeSchema(target);
  const { view, foreign } = bothSchemas(main, temp, route);
  const rows: Expr[][] = [];
  try {
    const { source } = openResult(physicalPlan(stmt.select.plan, view), view, {
      readers: main.storage.readersFor(view),
      params: bound,
      session,
      foreign,
    });
    for (let r = source.next(); r !== null; r = source.next()) rows.push(r.map((v) => E.literal(v)));
  } catch (err) {
    // The query names a TEMP table and the main table it hides (`INSERT INTO t SELECT … FROM main.t`).
    if (err instanceof QueryError && err.message.startsWith('no such collection')) throw mixed();
    throw err;
  }
  const db = schemaDb(write);
  if (stmt.kind === 'insert') return { db, stmt: { ...stmt, select: null, rows }, both: null, reads: null };
  return { db, stmt: { ...stmt, select: { ...stmt.select, plan: L.values(rows) } }, both: null, reads: null };
}
