/**
 * `node dist/bench/heap.js [--n 1000000]`: builds a database of N rows of ~200 B, checkpoints,
 * reopens it in a fresh process, and reports open time, heap and RSS after open and after a first
 * point query. Row bodies stay in the file: heap grows with the index size, not the data size.
 * Run node with --expose-gc for settled heap figures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Database } from '../src/index';
import { ITEM_FIELDS, arg, makeItems } from './data';

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

if (process.argv[2] === '--open') {
  const file = process.argv[3];
  settle();
  const base = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const db = Database.open(file, { readOnly: true });
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const row = db.get('items', 12345);
  const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  settle();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      openMs,
      firstQueryMs: firstMs,
      heapUsed: after.heapUsed - base.heapUsed,
      rss: after.rss,
      gotRow: row !== null,
      usedCheckpoint: db.storage.recoveryReport.usedCheckpoint,
    }),
  );
  db.close();
} else {
  const n = Number(arg('n', '1000000'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-heap-'));
  const file = path.join(dir, 'heap.modelvault');
  // The build loop never yields to the event loop; a long stale period keeps the writer lock valid.
  const db = Database.open(file, { lockStaleMs: 3_600_000 });
  db.registerCollection('items', ITEM_FIELDS, 'id', [{ name: 'items_qty', path: 'qty', kind: 'index' }]);
  const chunk = 100_000;
  const t0 = Date.now();
  for (let start = 0; start < n; start += chunk) {
    const rows = makeItems(Math.min(chunk, n - start), start + 1, 'random', start + 1);
    db.transaction(() => {
      for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
    });
  }
  db.checkpoint();
  db.close();
  const size = fs.statSync(file).size;
  console.log(
    `built ${n} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s; file ${mb(size)} (${(size / n).toFixed(0)} B/row)`,
  );
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--open', file], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(child.stderr);
  const r = JSON.parse(child.stdout.trim()) as {
    openMs: number;
    firstQueryMs: number;
    heapUsed: number;
    rss: number;
    usedCheckpoint: boolean;
  };
  console.log(
    `reopen (fresh process): open ${r.openMs.toFixed(0)} ms, open + first get ${r.firstQueryMs.toFixed(0)} ms, checkpoint used: ${r.usedCheckpoint}`,
  );
  console.log(
    `heap after open: ${mb(r.heapUsed)} (${(r.heapUsed / n).toFixed(0)} B/row, data ${mb(size)}), RSS ${mb(r.rss)}`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}
