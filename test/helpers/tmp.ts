/** Temporary directories for tests that need real files; removed after each suite. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tmpDir(prefix = 'mv-test-'): {
  dir: string;
  file: (name?: string) => string;
  cleanup: () => void;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let n = 0;
  return {
    dir,
    file: (name?: string) => path.join(dir, name ?? `db${n++}.modelvault`),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
