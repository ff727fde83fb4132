/**
 * One engine per file per process. Several handles (Database objects, connections) to one file
 * share it, so there is one writer lock, one cache and one view of committed state; the engine
 * closes when the last handle releases it. "One file" is the file's identity, not its spelling:
 * relative and absolute paths, `..`, symlinks (same real path) and hard links (same device and
 * inode) all find the same engine.
 */
import * as fs from 'node:fs';
import { Engine } from './engine';
import type { EngineOptions } from './engine';
import { resolveRealPath } from './lock';

const open: { engine: Engine; refs: number }[] = [];

function identity(realPath: string): { dev: number; ino: number } | null {
  try {
    const st = fs.statSync(realPath);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export function acquireEngine(path: string, opts: EngineOptions): Engine {
  const real = resolveRealPath(path);
  const id = identity(real);
  const entry = open.find((e) => !e.engine.isClosed && e.engine.sameFile(real, id));
  if (entry) {
    // The process's writer engine serves read-only handles too (they are kept read-only above it).
    entry.refs++;
    return entry.engine;
  }
  // Only writer engines are shared; a read-only open without a writer here gets its own engine.
  if (opts.readOnly) return Engine.openFile(real, opts);
  const engine = Engine.openFile(real, opts);
  open.push({ engine, refs: 1 });
  return engine;
}

export function releaseEngine(engine: Engine): void {
  const at = open.findIndex((e) => e.engine === engine);
  if (at < 0) {
    engine.close();
    return;
  }
  const entry = open[at];
  entry.refs--;
  if (entry.refs <= 0) {
    open.splice(at, 1);
    engine.close();
  }
}
