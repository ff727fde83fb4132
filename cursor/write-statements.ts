/**
 * Runs SQL statements that change the database for the connection, inside the handle's open
 * write transaction: INSERT/UPDATE/DELETE plans go to the planner's write executor
 * (planner/write.ts), CREATE TABLE … AS to planner/create-as.ts, DDL plans to planner/ddl.ts. This
 * layer only supplies what the connection knows (bound parameters, the session counters, whether
 * foreign keys are enforced). Every statement is atomic: the caller wraps it in a savepoint.
 */
import type { Database } from '../src/database';
import { foreignKeyGuard, foreignKeysEnabled } from '../src/database';
import { executeWrite } from '../planner/write';
import { createTableAs } from '../planner/create-as';
import { executeDdl } from '../planner/ddl';
import type { WriteResult } from '../planner/write';
import type { SessionState } from '../planner/compile-expr';
import type { Statement } from '../parser/ir';
import { ProgrammingError } from '../src/errors';
import type { Params } from './values';

export type { WriteResult } from '../planner/write';

/** Run one DML/DDL statement in the handle's open transaction. */
export function runWrite(db: Database, stmt: Statement, params: Params, session?: SessionState): WriteResult {
  const engine = db.storage;
  switch (stmt.kind) {
    case 'insert':
    case 'update':
    case 'delete':
      return executeWrite(engine, stmt, params, session, foreignKeyGuard(db, engine));
    case 'createTableAs':
      createTableAs(engine, stmt, { params, session });
      return { rowCount: 0 };
    case 'dropTable':
      return executeDdl(engine, stmt, foreignKeyGuard(db, engine));
    case 'addColumn':
      // Whether enforcement is on decides whether a REFERENCES column may have a default.
      return executeDdl(engine, stmt, null, foreignKeysEnabled(db));
    case 'createTable':
    case 'createView':
    case 'dropView':
    case 'createIndex':
    case 'dropIndex':
    case 'renameTable':
    case 'renameColumn':
    case 'setUserVersion':
      return executeDdl(engine, stmt, null);
    default:
      throw new ProgrammingError(`not a write statement: ${stmt.kind}`, 'PROGRAMMING');
  }
}
