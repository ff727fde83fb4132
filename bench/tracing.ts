/**
 * `npm run bench:tracing [-- --n 100000 --rounds 15 --ops 30000 --against <build>/dist/src/index.js]`:
 * what tracing costs on point gets. First, with nobody ever subscribed to the diagnostics
 * channels (`off`: one hasSubscribers check per call), alternating with `--against`: another build
 * of the library (e.g. one made from the commit before tracing), in the same process on its own
 * copy of the data, so `off` can be compared with no tracing code at all. Then alternating a
 * no-op subscriber on every event of every channel (`on`: contexts are built and published) with
 * no subscriber (`offAfter`). Reported: CPU µs per call, min and median over the rounds, and
 * their ratios; the check's own cost. Printed and written as JSON to bench/results/. */
import * as diagnostics from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mv from '../src/index';
import { active, channels } from '../storage/trace';
import { arg, randomIds } from './data';

const N = Number(arg('n', '100000'));
const ROUNDS = Number(arg('rounds', '15'));
const OPS = Number(arg('ops', '30000'));
const AGAINST = arg('against', '');
const CHANNELS = ['query', 'commit', 'checkpoint', 'compact', 'open'];

/** The part of the library this bench uses; `--against` builds must have it too. */
interface Library {
  connect(path: string, options?: object): mv.Connection;
}

interface Workload {
  name: string;
  run: () => void;
}

function prepare(lib: Library, file: string): { conn: mv.Connection; workloads: Workload[] } {
  fs.rmSync(file, { force: true });
  const conn = lib.connect(file, { autocommit: false });
  conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
  const rows: unknown[][] = [];
  for (let i = 1; i <= N; i++) rows.push([i, `item-${i}`, i % 100]);
  conn.executeMany('INSERT INTO items VALUES (?, ?, ?)', rows);
  conn.commit();
  const ids = randomIds(N, 1 << 16);
  const cur = conn.cursor();
  const items = conn.database.collection('items');
  let i = 0;
  let j = 0;
  return {
    conn,
    workloads: [
      {
        name: 'SQL point get (execute + fetchOne)',
        run: () => {
          cur.execute('SELECT * FROM items WHERE id = ?', [ids[i++ & 0xffff]]).fetchOne();
        },
      },
      {
        name: 'typed point get (where(id).first())',
        run: () => {
          items.where('id', ids[j++ & 0xffff]).first();
        },
      },
    ],
  };
}

function subscribeAll(): () => void {
  const noop = (): void => {};
  const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  const chans = CHANNELS.map((c) => diagnostics.tracingChannel(`modelvault:${c}`));
  for (const ch of chans) ch.subscribe(handlers);
  return () => {
    for (const ch of chans) ch.unsubscribe(handlers);
  };
}

/**
 * CPU time (user + system, µs) per call of `fn` over `ops` calls. CPU time rather than wall time:
 * on a shared machine another process's work shows in wall time, much less in this one's CPU time.
 */
function cpuPerOp(fn: () => void, ops: number): number {
  const before = process.cpuUsage();
  for (let k = 0; k < ops; k++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ops;
}

/** Nanoseconds of the check every traced call makes when nobody listens (best of 3 × 10M). */
function checkCostNs(): number {
  let best = Infinity;
  let seen = 0;
  for (let r = 0; r < 3; r++) {
    const before = process.cpuUsage();
    for (let k = 0; k < 10_000_000; k++) if (active(channels.query)) seen++;
    const used = process.cpuUsage(before);
    best = Math.min(best, ((used.user + used.system) * 1000) / 10_000_000);
  }
  if (seen !== 0) throw new Error('bench:tracing: something subscribed to modelvault:query');
  return best;
}

function stats(xs: number[]): { min: number; median: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-tracing-'));
  const modes = ['off', ...(AGAINST ? ['against'] : []), 'on', 'offAfter'] as const;
  type Mode = (typeof modes)[number];
  try {
    // Node swaps a channel's prototype when its first subscriber comes and its last one goes, so
    // the check costs more once a subscriber has come and gone: measured before and after.
    const freshNs = checkCostNs();
    const ours = prepare(mv, path.join(dir, 'ours.modelvault'));
    const other = AGAINST
      ? prepare(
          createRequire(__filename)(path.resolve(AGAINST)) as Library,
          path.join(dir, 'other.modelvault'),
        )
      : null;
    const samples = new Map<string, Map<Mode, number[]>>();
    const measure = (phaseModes: readonly Mode[]): void => {
      // Round 0 warms every path up and is not counted.
      for (let round = 0; round <= ROUNDS; round++) {
        // The order alternates, so no mode always runs right after the other's garbage.
        const order = round % 2 === 0 ? phaseModes : [...phaseModes].reverse();
        for (const mode of order) {
          const set = mode === 'against' && other ? other : ours;
          const stop = mode === 'on' ? subscribeAll() : null;
          try {
            for (const w of set.workloads) {
              const us = cpuPerOp(w.run, OPS);
              if (round === 0) continue;
              const byMode = samples.get(w.name) ?? new Map<Mode, number[]>();
              samples.set(w.name, byMode);
              byMode.set(mode, [...(byMode.get(mode) ?? []), us]);
            }
          } finally {
            stop?.();
          }
        }
      }
    };
    // First with nobody ever subscribed (beside the other build), then alternating with a
    // subscriber: `offAfter` is the unsubscribed path in a process where tracing comes and goes.
    measure(AGAINST ? ['off', 'against'] : ['off']);
    measure(['on', 'offAfter']);
    const lines: Record<string, unknown>[] = [];
    console.log(
      `tracing cost on point gets: ${N} rows, ${ROUNDS} rounds of ${OPS} calls per mode, CPU µs per call (node ${process.version})`,
    );
    for (const [name, byMode] of samples) {
      const line: Record<string, unknown> = { workload: name };
      const parts: string[] = [];
      for (const mode of modes) {
        const s = stats(byMode.get(mode) ?? []);
        line[mode] = s;
        parts.push(`${mode.padEnd(8)} min ${s.min.toFixed(3)} µs, median ${s.median.toFixed(3)} µs`);
      }
      const ratio = (a: Mode, b: Mode): string => {
        const x = line[a] as { min: number; median: number };
        const y = line[b] as { min: number; median: number };
        line[`${a}/${b}`] = { min: x.min / y.min, median: x.median / y.median };
        return `${a}/${b}: ${(x.min / y.min).toFixed(3)}× (min), ${(x.median / y.median).toFixed(3)}× (median)`;
      };
      parts.push(ratio('on', 'offAfter'));
      if (AGAINST) parts.push(ratio('off', 'against'));
      console.log(`${name}\n  ${parts.join('\n  ')}`);
      lines.push(line);
    }
    const checkNs = checkCostNs();
    console.log(
      `the hasSubscribers check alone: ${freshNs.toFixed(2)} ns (never subscribed), ${checkNs.toFixed(2)} ns (after a subscriber left)`,
    );
    ours.conn.close();
    other?.conn.close();
    const out = path.join(__dirname, '..', '..', 'bench', 'results');
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `tracing-${N}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      `${JSON.stringify({ rows: N, rounds: ROUNDS, ops: OPS, node: process.version, against: AGAINST || null, checkNs: { fresh: freshNs, afterUnsubscribe: checkNs }, unit: 'cpu µs per call', lines }, null, 2)}\n`,
    );
    console.log(`written ${path.relative(process.cwd(), file)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
