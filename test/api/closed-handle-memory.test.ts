/**
 * A handle closed but still held by the application (a connection, a cursor, a typed query kept
 * in a module variable) must not keep the database's trees and caches alive. Measured in a child
 * run with --expose-gc (test/helpers/closed-handle-child.js): the heap the closed handles keep,
 * at 80,000 rows, against what they kept before the fix (SQL ~10 MB, typed ~2 MB) and what code
 * and module state alone take (~2 MB, ~0.4 MB).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Database, InterfaceError } from '../../src';

const CHILD = path.join(__dirname, '..', 'helpers', 'closed-handle-child.js');

test('closed handles the application still holds keep no rows or trees alive', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-closed-'));
  try {
    const r = spawnSync(process.execPath, ['--expose-gc', CHILD, dir], {
      encoding: 'utf8',
      env: { ...process.env, ROWS: '80000' },
    });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout.trim()) as { sqlKept: number; typedKept: number; held: number };
    expect(got.held).toBe(5);
    expect(got.sqlKept).toBeLessThan(5 * 1024 * 1024);
    expect(got.typedKept).toBeLessThan(1.2 * 1024 * 1024);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a typed query kept after close fails CLOSED when used', () => {
  const db = Database.openInMemory();
  db.registerCollection(
    't',
    [
      { path: 'id', type: 'int64' },
      { path: 'n', type: 'int64' },
    ],
    'id',
  );
  db.insert('t', { id: 1, n: 5 });
  const q = db.collection('t').where('n', 5);
  expect(q.all()).toEqual([{ id: 1, n: 5 }]);
  db.close();
  expect(() => q.all()).toThrow(InterfaceError);
  expect(() => q.all()).toThrow(/closed/);
});
