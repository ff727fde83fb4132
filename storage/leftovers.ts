/**
 * Temp files a killed process left beside a database: `<file>.compact-<pid>.tmp` (a compaction's
 * copy, up to the size of the database), `<file>.restore-<pid>.tmp` and `<file>.spill-<pid>-<n>.tmp`
 * (a large transaction's first frames, storage/txn-spill.ts, where the system cannot unlink an open
 * file), plus the `.lock` folders
 * older versions kept beside them, and `<file>.lock.retired-<pid>-<token>` (a lock folder its
 * writer renamed away at close and was killed before deleting, storage/lock-dir.ts "retire"). The
 * next writer of the file removes those whose process is gone;
 * a live process's temp file is left alone (it may be compacting to this path right now).
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { pidAlive } from './process-identity';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Remove dead processes' temp files next to the database at `realPath`; returns what was removed. */
export function removeLeftovers(realPath: string): string[] {
  const dir = nodePath.dirname(realPath);
  const pattern = new RegExp(
    `^${escape(nodePath.basename(realPath))}\\.(?:(?:compact|restore|spill)-(\\d+)(?:-\\d+)?\\.tmp(?:\\.lock)?|lock\\.retired-(\\d+)-[0-9a-f]+)$`,
  );
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || pidAlive(Number(m[1] ?? m[2]))) continue;
    try {
      fs.rmSync(nodePath.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove (permissions): leave it
    }
  }
  return removed;
}
