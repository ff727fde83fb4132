/**
 * `node dist/bench/open-probe.js FILE [--rw]`: one fresh-process open, timed in phases: loading
 * the package's modules, `Database.open` (read-only unless --rw), and the first point get. Prints
 * one JSON line. Nothing of ours is imported before the clock starts, so `loadMs` is the whole
 * module graph a CommonJS `require('modelvault')` loads.
 */
export interface Probe {
  loadMs: number;
  openMs: number;
  /** Open plus the first point get (`items` key 12345), from the end of loading. */
  firstGetMs: number;
  /** CPU time (user + system) of the open plus the first get: less disturbed by other load. */
  firstGetCpuMs: number;
  /** Then the first query through a secondary index (`uuid` of that row), which builds it. */
  firstIndexMs: number;
  replayed: number;
  /** Log after the last checkpoint (what the open replayed). */
  tailBytes: number;
  gotRow: boolean;
}

if (require.main === module) {
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the package is what is timed
  const mv = require('../src/index') as typeof import('../src/index');
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage();
  const db = mv.Database.open(process.argv[2], { readOnly: !process.argv.includes('--rw') });
  const t2 = process.hrtime.bigint();
  const row = db.get('items', 12345);
  const t3 = process.hrtime.bigint();
  const c3 = process.cpuUsage(c1);
  const uuid = row === null ? null : (row as { uuid?: unknown }).uuid;
  const byIndex = uuid === null ? null : db.collection('items').where('uuid', '=', uuid).first();
  const t4 = process.hrtime.bigint();
  const probe: Probe = {
    firstIndexMs: byIndex === null ? -1 : Number(t4 - t3) / 1e6,
    loadMs: Number(t1 - t0) / 1e6,
    openMs: Number(t2 - t1) / 1e6,
    firstGetMs: Number(t3 - t1) / 1e6,
    firstGetCpuMs: (c3.user + c3.system) / 1e3,
    replayed: db.storage.recoveryReport.replayedTransactions,
    tailBytes: db.storage.logBytesSinceCheckpoint,
    gotRow: row !== null,
  };
  console.log(JSON.stringify(probe));
  db.close();
}
