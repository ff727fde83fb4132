/**
 * VACUUM on a connection (issue 13): `VACUUM [main]` is the engine's in-place compaction
 * (Database.compact: a temp file with only the live state, fsynced, renamed over the file),
 * `VACUUM INTO target` writes that compacted copy to a new file (Database.compactTo, the CLI's
 * `compact --to` and `backup`) in ModelVault's format. SQLite's rules and words: never inside a
 * transaction, INTO needs a text file name that does not exist yet or is an empty file. VACUUM begins no transaction, even with autocommit off.
 */
import * as fs from 'node:fs';
import type { Database } from '../src/database';
import { NotSupportedError, OperationalError, TransactionError } from '../src/errors';
import type { VacuumStmt } from '../parser/ir';
import { compileExpr } from '../planner/compile-expr';
import type { Params } from './values';

/** The INTO target's file name, from a literal or a bound parameter. */
function targetOf(stmt: VacuumStmt & { into: NonNullable<VacuumStmt['into']> }, params: Params): string {
  const name = compileExpr(stmt.into, { params }).eval([]);
  if (typeof name !== 'string') throw new OperationalError('non-text filename', 'OPERATIONAL');
  if (name === '') throw new OperationalError('VACUUM INTO needs a file name', 'OPERATIONAL');
  return name;
}

/**
 * Writes the compacted copy to `target`, which must not exist or be empty (SQLite's rule): an
 * exclusive create claims a new name first (so two racing VACUUM INTO never overwrite each
 * other's copy), then the copy replaces the placeholder atomically; a failed copy removes a
 * placeholder it created.
 */
function vacuumInto(db: Database, target: string): void {
  let created = true;
  try {
    fs.closeSync(fs.openSync(target, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new OperationalError(`unable to open database: ${target}`, 'OPERATIONAL', { cause: err });
    if (fs.statSync(target).size > 0) throw new OperationalError('output file already exists', 'OPERATIONAL');
    created = false;
  }
  try {
    db.compactTo(target);
  } catch (err) {
    if (created) fs.rmSync(target, { force: true });
    throw err;
  }
}

export function runVacuum(db: Database, stmt: VacuumStmt, params: Params): void {
  if (db.inTransaction) throw new TransactionError('cannot VACUUM from within a transaction', 'TRANSACTION');
  if (stmt.into !== null) {
    if (stmt.schema === 'temp')
      throw new NotSupportedError('VACUUM temp INTO (ModelVault has no temp schema file)');
    vacuumInto(db, targetOf({ ...stmt, into: stmt.into }, params));
    return;
  }
  // The temp schema holds nothing; an in-memory database has no file to shrink.
  const engine = db.storage;
  if (stmt.schema === 'temp' || !engine.path) return;
  // A read-only handle: Database.compact refuses it (READ_ONLY) as it refuses every write.
  // Another connection's open write transaction holds the file (SQLite: "database is locked").
  if (engine.inTransaction && !engine.readOnly)
    throw new OperationalError('database is locked: another connection has an open transaction', 'BUSY');
  db.compact();
}
