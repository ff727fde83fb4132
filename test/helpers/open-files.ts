/**
 * Leak guard, recording half (jest setupFilesAfterEnv; test/helpers/leak-guard-environment.js
 * checks): every file engine this test file opens and has not closed yet, with the stack that
 * opened it, kept on the test file's global. Only the engines of this file's module registry are
 * seen; child processes and worker threads have their own.
 */
import { Engine } from '../../storage/engine';
import type { EngineOptions } from '../../storage/engine';

const open = new Map<Engine, string>();
(globalThis as { __modelvaultOpenFiles?: Map<Engine, string> }).__modelvaultOpenFiles = open;

const openFile = Engine.openFile.bind(Engine);
Engine.openFile = (path: string, opts?: EngineOptions): Engine => {
  const engine = openFile(path, opts);
  // The caller's frames: the first ones outside jest's own machinery.
  const where = (new Error().stack ?? '')
    .split('\n')
    .slice(2)
    .filter((line) => !line.includes('node_modules') && !line.includes('new Promise'))
    .slice(0, 6)
    .join('\n');
  open.set(engine, `${engine.path ?? path}${engine.readOnly ? ' (read-only)' : ''}, opened\n${where}`);
  return engine;
};

const close = Engine.prototype.close;
Engine.prototype.close = function (this: Engine): void {
  open.delete(this);
  close.call(this);
};
