/**
 * How commands open a database. Reading commands open read-only (no lock, so they work beside a
 * running application, and never write: a torn tail is left for the writer to cut); commands
 * that change a file open it as its writer. Integers come back as bigint so none is rounded.
 */
import * as fs from 'node:fs';
import { connect } from '../../cursor/index';
import type { Connection } from '../../cursor/index';
import { OperationalError } from '../errors';

export interface OpenFlags {
  /** Milliseconds to wait for another writer's lock (`--busy-timeout`). */
  busyTimeoutMs?: number;
}

/** The file must exist: a reading command never creates one. */
export function requireFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new OperationalError(`no such file: ${file}`, 'IO');
  }
  if (!st.isFile()) throw new OperationalError(`not a regular file: ${file}`, 'IO');
  return st;
}

export function openReader(file: string): Connection {
  requireFile(file);
  return connect(file, { readOnly: true, recovery: 'autoTruncate', safeIntegers: true, autocommit: true });
}

export function openWriter(file: string, flags: OpenFlags = {}, create = false): Connection {
  if (!create) requireFile(file);
  return connect(file, {
    safeIntegers: true,
    autocommit: true,
    ...(flags.busyTimeoutMs !== undefined ? { busyTimeoutMs: flags.busyTimeoutMs } : {}),
  });
}

/** Run `fn` with a connection that is closed however `fn` ends. */
export function using<T>(conn: Connection, fn: (conn: Connection) => T): T {
  try {
    return fn(conn);
  } finally {
    conn.close();
  }
}
