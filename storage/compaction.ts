/**
 * Compaction and snapshots: rewrite the live state (catalog, latest rows, indexes, a fresh
 * checkpoint) into a new file. Crash safety comes from never touching the destination until the
 * new file is complete: it is written to `<dest>.compact-<pid>.tmp`, fsynced, then renamed over
 * the destination (atomic on POSIX) and the directory is fsynced. A kill at any moment leaves
 * either the old file or the new one, never a mix; a leftover temp file is ignored and replaced.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Engine } from './engine';
import { MemoryStore } from './memory-store';
import { OperationalError } from '../src/errors';

/** Rows per transaction in the copy, so staging memory stays bounded for big databases. */
const ROWS_PER_TXN = 20_000;

/** Copy the committed state of `source` into `target` (a fresh, empty engine), then checkpoint it. */
export function copyLiveState(source: Engine, target: Engine): void {
  const view = source.committedView();
  for (const [, coll] of view.collections) {
    target.begin();
    target.importCollection(coll.meta);
    let n = 0;
    const cur = coll.pk.cursor();
    while (cur.next()) {
      const row = source.readRow(cur.value);
      const state = target.collection(coll.meta.schema.name);
      if (!state)
        throw new OperationalError(`compaction lost collection ${coll.meta.schema.name}`, 'INTERNAL');
      target.putRow(state, row, 'replacePk');
      if (++n % ROWS_PER_TXN === 0) {
        target.commit();
        target.begin();
      }
    }
    target.commit();
  }
  target.checkpoint();
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse to fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Write a compacted copy of `source` to `dest` atomically (temp file + fsync + rename). */
export function compactToFile(source: Engine, dest: string): void {
  const target = nodePath.resolve(dest);
  const tmp = `${target}.compact-${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.rmSync(`${tmp}.lock`, { recursive: true, force: true });
  // The copy checkpoints once at the end; automatic checkpoints on the way would only be dead weight.
  const out = Engine.openFile(tmp, { checkpointEveryBytes: 0 });
  try {
    copyLiveState(source, out);
  } catch (err) {
    out.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  out.close(); // data and checkpoint are already synced by commit/checkpoint
  fs.rmSync(`${tmp}.lock`, { recursive: true, force: true });
  fs.renameSync(tmp, target);
  syncDir(nodePath.dirname(target));
}

/** The compacted bytes of `source`, built in memory (snapshots of in-memory databases). */
export function compactToBytes(source: Engine): Buffer {
  const out = Engine.openStore(new MemoryStore(), { checkpointEveryBytes: 0 });
  copyLiveState(source, out);
  const bytes = out.bytes();
  out.close();
  return bytes;
}
