/**
 * `node dist/bench/kill-replay.js [--n 1000000] [--txn 1000] [--every 4194304,67108864]
 * [--limit-bytes B] [--limit-frames F] [--light B] [--order random|ascending]`: what a killed writer leaves to
 * replay. For each automatic-checkpoint threshold (`checkpointEveryBytes`; the replay limits are
 * the defaults unless given),
 * a child process writes N rows of the standard workload (random `sku`/`uuid`, four indexes) in
 * transactions of `txn` rows and is killed with SIGKILL once it has committed them all (no clean
 * close, so no close checkpoint). Then, each in a fresh process: open read-only + first point get,
 * with the log left to replay and the transactions replayed (bench/open-probe.ts, which times
 * module loading apart), and then the first query through an index (which, after a light
 * checkpoint, catches the index up from the log: `--light 0` turns light checkpoints off). Also
 * reports the writer's time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { Database } from '../src/index';
import { ITEM_FIELDS, ITEM_INDEXES, arg, makeItems } from './data';
import type { KeyOrder } from './data';
import type { CheckpointTraceContext } from '../src/index';

import type { Probe } from './open-probe';
import { firstLine } from './harness';

if (process.argv[2] === '--write') {
  const [file, n, txn, every, limitBytes, limitFrames] = process.argv
    .slice(3)
    .map((x, i) => (i === 0 ? x : Number(x))) as [string, number, number, number, number, number];
  const order = process.argv[9] as KeyOrder;
  const light = Number(process.argv[10]);
  const checkpoints: number[] = [];
  const end = (ctx: unknown): void => {
    checkpoints.push((ctx as CheckpointTraceContext).bytes);
  };
  const none = (): void => undefined;
  diagnostics
    .tracingChannel('modelvault:checkpoint')
    .subscribe({ start: none, end, asyncStart: none, asyncEnd: none, error: none });
  const db = Database.open(file, {
    checkpointEveryBytes: every,
    // Negative: the default.
    ...(limitBytes >= 0 ? { replayLimitBytes: limitBytes } : {}),
    ...(limitFrames >= 0 ? { replayLimitFrames: limitFrames } : {}),
    ...(light >= 0 ? { lightCheckpointBytes: light } : {}),
    lockStaleMs: 3_600_000,
  });
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  const t0 = process.hrtime.bigint();
  for (let start = 0; start < n; start += txn) {
    const rows = makeItems(Math.min(txn, n - start), start + 1, order, start + 1);
    db.transaction(() => {
      for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
    });
  }
  const writeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // Committed and durable: tell the parent, then wait to be killed (never closed).
  const checkpointMiB = checkpoints.reduce((a, b) => a + b, 0) / 1048576;
  const lastCheckpointMiB = (checkpoints.at(-1) ?? 0) / 1048576;
  const tail = db.storage.logBytesSinceCheckpoint;
  process.stdout.write(
    `${JSON.stringify({ writeMs, tail, checkpoints: checkpoints.length, checkpointMiB, lastCheckpointMiB })}\n`,
  );
  setInterval(() => undefined, 1000);
} else {
  const n = Number(arg('n', '1000000'));
  const txn = Number(arg('txn', '1000'));
  const thresholds = arg('every', `${4 * 1024 * 1024},${64 * 1024 * 1024}`)
    .split(',')
    .map(Number);
  const limitBytes = arg('limit-bytes', '-1');
  const limitFrames = arg('limit-frames', '-1');
  const order = arg('order', 'random');
  const light = arg('light', '-1');
  const opens = Number(arg('opens', '5'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-kill-'));
  void (async () => {
    for (const every of thresholds) {
      const file = path.join(dir, `kill-${every}.modelvault`);
      const child = spawn(
        process.execPath,
        [
          __filename,
          '--write',
          file,
          String(n),
          String(txn),
          String(every),
          limitBytes,
          limitFrames,
          order,
          light,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const line = await firstLine(child);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const written = JSON.parse(line) as {
        writeMs: number;
        tail: number;
        checkpoints: number;
        checkpointMiB: number;
        lastCheckpointMiB: number;
      };
      const probes: Probe[] = [];
      for (let i = 0; i < opens; i++) {
        const r = spawnSync(process.execPath, [path.join(__dirname, 'open-probe.js'), file], {
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(r.stderr);
        probes.push(JSON.parse(r.stdout.trim()) as Probe);
      }
      const med = (f: (p: Probe) => number): number =>
        probes.map(f).sort((a, b) => a - b)[probes.length >> 1];
      const size = fs.statSync(file).size;
      console.log(
        JSON.stringify({
          checkpointEveryBytes: every,
          replayLimitBytes: limitBytes,
          replayLimitFrames: limitFrames,
          lightCheckpointBytes: light,
          order,
          checkpoints: written.checkpoints,
          checkpointMiBWritten: +written.checkpointMiB.toFixed(1),
          lastCheckpointMiB: +written.lastCheckpointMiB.toFixed(2),
          rows: n,
          txnRows: txn,
          writeSeconds: +(written.writeMs / 1000).toFixed(1),
          fileMiB: +(size / 1048576).toFixed(1),
          tailMiB: +(probes[0].tailBytes / 1048576).toFixed(2),
          replayedTxns: probes[0].replayed,
          medianLoadMs: +med((p) => p.loadMs).toFixed(1),
          medianOpenMs: +med((p) => p.openMs).toFixed(1),
          medianOpenFirstGetMs: +med((p) => p.firstGetMs).toFixed(1),
          medianFirstIndexQueryMs: +med((p) => p.firstIndexMs).toFixed(1),
          gotRow: probes.every((p) => p.gotRow),
          loadAvg: os.loadavg()[0].toFixed(2),
        }),
      );
      fs.rmSync(file, { force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  })();
}
