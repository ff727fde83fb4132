/**
 * One engine per file per process. Several handles (Database objects, later connections) to the
 * same path share it, so there is one writer lock, one cache and one view of committed state;
 * the engine closes when the last handle releases it.
 */
import * as nodePath from 'node:path';
import { Engine } from './engine';
import type { EngineOptions } from './engine';

const open = new Map<string, { engine: Engine; refs: number }>();

export function acquireEngine(path: string, opts: EngineOptions): Engine {
  const key = nodePath.resolve(path);
  const entry = open.get(key);
  if (entry && !entry.engine.isClosed) {
    // The process's writer engine serves read-only handles too (they are kept read-only above it).
    entry.refs++;
    return entry.engine;
  }
  // Only writer engines are shared; a read-only open without a writer here gets its own engine.
  if (opts.readOnly) return Engine.openFile(key, opts);
  const engine = Engine.openFile(key, opts);
  open.set(key, { engine, refs: 1 });
  return engine;
}

export function releaseEngine(engine: Engine): void {
  if (!engine.path) {
    engine.close();
    return;
  }
  const key = nodePath.resolve(engine.path);
  const entry = open.get(key);
  if (!entry || entry.engine !== engine) {
    engine.close();
    return;
  }
  entry.refs--;
  if (entry.refs <= 0) {
    open.delete(key);
    engine.close();
  }
}
