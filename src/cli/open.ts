/**
 * How commands open a database. Reading commands open read-only (no lock, so they work beside a
 * running application, and never write: a torn tail is left for the writer to cut); commands
 * that change a file open it as its writer. Integers come back as bigint so none is rounded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WriterLock, resolveRealPath } from '../../storage/lock';
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

/**
 * A reader that sees one snapshot across several statements. A read-only connection catches up
 * with a live writer before each statement, so while another process writes the file, its
 * committed state is first copied (compacted, like `backup`) to a private temp file and read
 * from there; without a writer the file itself is read.
 */
export function openSnapshotReader(file: string): { conn: Connection; txnId: number; close(): void } {
  requireFile(file);
  if (WriterLock.liveHolder(resolveRealPath(file)) === null) {
    const conn = openReader(file);
    return { conn, txnId: conn.database.storage.committedView().txnId, close: () => conn.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-snapshot-'));
  try {
    const copy = path.join(dir, 'snapshot.modelvault');
    // The copy numbers its own transactions: the source's id is the one to report.
    const txnId = using(openReader(file), (c) => {
      c.database.exportSnapshot(copy);
      return c.database.storage.committedView().txnId;
    });
    const conn = openReader(copy);
    return {
      conn,
      txnId,
      close: () => {
        conn.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Run `fn` with a connection that is closed however `fn` ends. */
export function using<T>(conn: Connection, fn: (conn: Connection) => T): T {
  try {
    return fn(conn);
  } finally {
    conn.close();
  }
}
