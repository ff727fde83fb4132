/**
 * Runs SQL statements that change the database for the connection, inside the handle's open
 * write transaction: INSERT/UPDATE/DELETE plans go to the planner's write executor
 * (planner/write.ts), CREATE TABLE … AS to planner/create-as.ts, DDL plans to planner/ddl.ts. This
 * layer only supplies what the connection knows (bound parameters, the session counters, whether
 * foreign keys are enforced), and what needs the layers above the planner: every ALTER TABLE is
 * classified like a schema version (src/schema-versions.ts) and DROP COLUMN re-reads the views
 * (the parser). Every statement is atomic: the caller wraps it in a savepoint.
 */
import type { Database } from '../src/database';
import { foreignKeyGuard, foreignKeysEnabled } from '../src/database';
import { executeWrite } from '../planner/write';
import type { ForeignReads } from '../planner/write-access';
import { createTableAs } from '../planner/create-as';
import { executeDdl } from '../planner/ddl';
import type { WriteResult } from '../planner/write';
import type { SessionState } from '../planner/compile-expr';
import type { Statement } from '../parser/ir';
import { ProgrammingError, SchemaError } from '../src/errors';
import type { Params } from './values';
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import type { AddColumnStmt, DropColumnStmt, RenameColumnStmt, RenameTableStmt } from '../parser/ir';
import { sqlFront } from './sql-front';
import type { CatalogReader } from '../parser/scope';
import { planChange } from '../src/schema-versions';
import type { SchemaPlan } from '../src/schema-versions';
import { storedRows } from '../src/schema-rewrite';

export type { WriteResult } from '../planner/write';

/** A statement's result; an ALTER TABLE also says how the schema-version classification saw it. */
export type StatementResult = WriteResult & { schemaPlan?: SchemaPlan };

type AlterStmt = AddColumnStmt | DropColumnStmt | RenameColumnStmt | RenameTableStmt;

/**
 * The plan of the change from `before` (the table's state before the statement, whose rows stay
 * readable) to `after`, with counts read from the rows. The SQL statement itself is the explicit
 * decision `force` is for a schema version.
 */
function alterPlan(
  engine: Engine,
  before: CollectionState,
  after: CollectionState['meta']['schema'],
  renamed?: ReadonlyMap<string, string>,
): SchemaPlan {
  const source = {
    *rows(): Generator<Record<string, unknown>> {
      for (const row of storedRows(engine, before)) yield before.compiled.toObject(row, true);
    },
    count: (): number => before.pk.size,
  };
  return planChange(before.meta.schema, after, source, before.meta.version, renamed);
}

/** SQLite re-reads every view after DROP COLUMN and refuses the change when one no longer reads. */
function checkViews(engine: Engine): void {
  const catalog: CatalogReader = {
    names: () => engine.collectionNames(),
    collection: (name) => {
      const state = engine.collection(name);
      return state ? { schema: state.meta.schema, compiled: state.compiled } : undefined;
    },
    view: (name) => engine.sqlViewList().find((v) => v.name.toLowerCase() === name.toLowerCase()),
  };
  for (const view of engine.sqlViewList()) {
    try {
      sqlFront().lowerStatement(`SELECT * FROM "${view.name.replace(/"/g, '""')}"`, catalog);
    } catch (err) {
      if (!(err instanceof ProgrammingError)) throw err;
      throw new SchemaError(`error in view ${view.name} after drop column: ${err.message}`, 'SCHEMA', {
        cause: err,
      });
    }
  }
}

/** Run an ALTER TABLE, then check the views (DROP COLUMN) and classify what it changed. */
function alter(engine: Engine, stmt: AlterStmt, run: () => WriteResult): StatementResult {
  const table = stmt.kind === 'renameTable' ? stmt.from : stmt.collection;
  const before = engine.collection(table);
  const result = run();
  if (stmt.kind === 'dropColumn') checkViews(engine);
  const after = engine.collection(stmt.kind === 'renameTable' ? stmt.to : table);
  if (!before || !after) return result;
  let renamed: Map<string, string> | undefined;
  if (stmt.kind === 'renameColumn') {
    const from = before.meta.schema.fields[stmt.column].path.join('.');
    if (from === stmt.to) return result;
    renamed = new Map([[from, stmt.to]]);
  }
  return { ...result, schemaPlan: alterPlan(engine, before, after.meta.schema, renamed) };
}

/** Run one DML/DDL statement in the handle's open transaction. */
export function runWrite(
  db: Database,
  stmt: Statement,
  params: Params,
  session?: SessionState,
  foreign: ForeignReads | null = null,
): StatementResult {
  const engine = db.storage;
  switch (stmt.kind) {
    case 'insert':
    case 'update':
    case 'delete':
      return executeWrite(engine, stmt, params, session, foreignKeyGuard(db, engine), foreign);
    case 'createTableAs':
      createTableAs(engine, stmt, { params, session });
      return { rowCount: 0 };
    case 'dropTable':
      return executeDdl(engine, stmt, foreignKeyGuard(db, engine));
    case 'addColumn':
      // Whether enforcement is on decides whether a REFERENCES column may have a default.
      return alter(engine, stmt, () => executeDdl(engine, stmt, null, foreignKeysEnabled(db)));
    case 'renameTable':
    case 'renameColumn':
    case 'dropColumn':
      return alter(engine, stmt, () => executeDdl(engine, stmt, null));
    case 'createTable':
    case 'createView':
    case 'dropView':
    case 'createIndex':
    case 'dropIndex':
    case 'setUserVersion':
    case 'analyze':
    case 'reindex':
      return executeDdl(engine, stmt, null);
    default:
      throw new ProgrammingError(`not a write statement: ${stmt.kind}`, 'PROGRAMMING');
  }
}
