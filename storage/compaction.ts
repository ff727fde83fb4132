/**
 * Compaction and snapshots: rewrite the live state (catalog, latest rows, indexes, a fresh
 * checkpoint) into a new file. Crash safety comes from never touching the destination until the
 * new file is complete: it is written to `<dest>.compact-<pid>.tmp`, fsynced, then renamed over
 * the destination (atomic on POSIX) and the directory is fsynced. A kill at any moment leaves
 * either the old file or the new one, never a mix; a leftover temp file is ignored and replaced.
 */
import * as fs from 'node:fs';
import { Engine } from './engine';
import { MemoryStore } from './memory-store';
import { FileStore, renameDurably } from './file-store';
import { readExact } from './byte-store';
import type { ByteStore } from './byte-store';
import { writeCompactedCopy } from './compact-copy';
import { WriterLock, resolveRealPath } from './lock';
import type { FileIdentity } from './lock';
import { InterfaceError, OperationalError } from '../src/errors';
import { active, channels } from './trace';
import type { CompactTraceContext } from './trace';

/**
 * Run a compaction under `modelvault:compact` when someone listens. `run` returns the size of the
 * compacted copy. The copy is written without an engine, so it publishes nothing of its own.
 */
function traceCompact<T>(
  source: Engine,
  mode: CompactTraceContext['mode'],
  dest: string | null,
  run: () => { bytes: number; value: T },
): T {
  if (!active(channels.compact)) return run().value;
  const ctx: CompactTraceContext = {
    path: source.path,
    mode,
    dest,
    bytesBefore: source.fileSize,
    bytesAfter: null,
  };
  let value: { v: T } | null = null;
  channels.compact.traceSync(() => {
    const out = run();
    ctx.bytesAfter = out.bytes;
    value = { v: out.value };
  }, ctx);
  return (value as unknown as { v: T }).v;
}

/**
 * Write the compacted copy of `source`'s committed state into `store` (empty) and sync it
 * (storage/compact-copy.ts: records copied as bytes, indexes bulk-loaded); returns its size.
 */
export function copyLiveState(source: Engine, store: ByteStore): number {
  return writeCompactedCopy(source.committedView(), store).bytes;
}

/** Build the compacted copy of `source` as `<dest>.compact-<pid>.tmp` (synced); returns its path. */
function writeCopy(source: Engine, realDest: string): { tmp: string; bytes: number } {
  const tmp = `${realDest}.compact-${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  // A private name nobody else opens: no lock.
  const out = FileStore.open(tmp, false, true);
  let bytes = 0;
  try {
    bytes = copyLiveState(source, out);
  } catch (err) {
    out.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  out.close(); // synced by the copy
  return { tmp, bytes };
}

/** Rewrite `engine`'s own file with only its live state; the engine switches to the new file. */
export function compactInPlace(engine: Engine): void {
  const path = engine.path;
  if (!path) throw new OperationalError('compact() needs a file database', 'OPERATIONAL');
  traceCompact(engine, 'inPlace', null, () => {
    const { tmp, bytes } = writeCopy(engine, path);
    try {
      engine.replaceFileWith(tmp);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    return { bytes, value: undefined };
  });
}

function fileId(path: string): FileIdentity | null {
  try {
    const st = fs.statSync(path);
    return { dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs };
  } catch {
    return null;
  }
}

/**
 * Write a compacted copy of `source` to `dest` atomically (temp file + fsync + rename). The rename
 * happens under dest's writer lock, so a database another writer has open is never replaced.
 */
export function compactToFile(source: Engine, dest: string): void {
  const realDest = resolveRealPath(dest);
  if (source.sameFile(realDest, fileId(realDest)))
    throw new InterfaceError('compactTo: dest is the database itself; use compact()', 'BAD_OPTION');
  traceCompact(source, 'file', realDest, () => {
    const { tmp, bytes } = writeCopy(source, realDest);
    let lock: WriterLock | null = null;
    try {
      lock = WriterLock.acquire(realDest);
      const id = fileId(realDest);
      if (id) {
        lock.bindFile(id);
        Engine.markMoved(realDest);
      }
      renameDurably(tmp, realDest);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    } finally {
      lock?.dispose();
    }
    return { bytes, value: undefined };
  });
}

/** The compacted bytes of `source`, built in memory (snapshots of in-memory databases). */
export function compactToBytes(source: Engine): Buffer {
  return traceCompact(source, 'bytes', null, () => {
    const out = new MemoryStore();
    const size = copyLiveState(source, out);
    const copy = readExact(out, 0, size);
    if (!copy) throw new OperationalError('compaction lost its own copy', 'INTERNAL');
    return { bytes: size, value: copy };
  });
}
