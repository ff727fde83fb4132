/**
 * Commands that rewrite or copy a file: `checkpoint`, `compact`, `backup`, `restore`. Each
 * prints one line saying what it did; sizes are what ended up on disk.
 */
import * as fs from 'node:fs';
import { Database } from '../database';
import { openReader, openWriter, requireFile, using } from './open';
import type { OpenFlags } from './open';
import { verifyDatabaseFile } from './verify';
import type { Io } from './io';
import { OperationalError } from '../errors';

export function checkpointCommand(io: Io, file: string, flags: OpenFlags): void {
  using(openWriter(file, flags), (conn) => {
    const engine = conn.database.storage;
    const before = engine.logBytesSinceCheckpoint;
    conn.database.checkpoint();
    io.out(
      `checkpoint written: ${file} at transaction ${engine.lastCommittedTxnId} ` +
        `(${before} bytes of log folded in; file ${engine.fileSize} bytes)\n`,
    );
  });
}

export function compactCommand(io: Io, file: string, to: string | undefined, flags: OpenFlags): void {
  const before = requireFile(file).size;
  if (to) {
    // A copy needs no lock on the source: it compacts what is committed while a writer goes on.
    using(openReader(file), (conn) => conn.database.compactTo(to));
    io.out(`compacted ${file} (${before} bytes) into ${to} (${fs.statSync(to).size} bytes)\n`);
    return;
  }
  using(openWriter(file, flags), (conn) => conn.database.compact());
  io.out(`compacted ${file}: ${before} → ${fs.statSync(file).size} bytes\n`);
}

export interface BackupResult {
  collections: number;
  rows: number;
  bytes: number;
  txnId: number;
}

/**
 * An online backup: a read-only open (no lock, so the application keeps writing) exports the
 * state committed at that moment as a compacted file, written to a temp file and renamed into
 * place. `verify` then checks the copy like `modelvault verify` does.
 */
export function backupCommand(io: Io, file: string, to: string, verify: boolean): BackupResult {
  const result = using(openReader(file), (conn) => {
    const view = conn.database.storage.committedView();
    conn.database.exportSnapshot(to);
    let rows = 0;
    for (const c of view.collections.values()) rows += c.pk.size;
    return { collections: view.collections.size, rows, bytes: 0, txnId: view.txnId };
  });
  result.bytes = fs.statSync(to).size;
  io.out(
    `backup of ${file} at transaction ${result.txnId} written to ${to}: ` +
      `${result.collections} collection${result.collections === 1 ? '' : 's'}, ${result.rows} row${result.rows === 1 ? '' : 's'}, ${result.bytes} bytes\n`,
  );
  if (verify) {
    const report = verifyDatabaseFile(to);
    if (report.problems.length > 0) {
      throw new OperationalError(`backup ${to} failed verification: ${report.problems[0].reason}`, 'IO');
    }
    io.out(
      `backup verified: ${report.framesChecked} frames, ${report.rowsChecked} rows, indexes consistent\n`,
    );
  }
  return result;
}

/** Replace `to` with the backup `from` (verified first); refused while a writer holds `to`. */
export function restoreCommand(io: Io, from: string, to: string): void {
  requireFile(from);
  Database.restoreSnapshot(from, to);
  io.out(`restored ${to} from ${from} (${fs.statSync(to).size} bytes)\n`);
}
