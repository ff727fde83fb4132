/**
 * Measurement helpers. Per-operation workloads run under the `benchmark` package (warm-up,
 * adaptive sample count, mean and relative margin of error); whole-build workloads (bulk insert,
 * open) are timed as repeated samples with the median and min–max spread reported.
 */
import Benchmark from 'benchmark';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface Figure {
  /** Operations (or rows) per second, higher is better. */
  opsPerSec: number;
  /** Relative spread: ± % margin of error (benchmark) or (max-min)/median (samples). */
  spreadPct: number;
  samples: number;
}

/** Ops/sec of `fn` (one operation per call) under benchmark.js. */
export function measureOps(name: string, fn: () => void, maxTime = 1.5): Figure {
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return { opsPerSec: bench.hz, spreadPct: bench.stats.rme, samples: bench.stats.sample.length };
}

/** Rows/sec of a whole run that processes `rows` rows, over `samples` repetitions (setup excluded). */
export function measureRun(
  rows: number,
  samples: number,
  setup: () => void,
  run: () => void,
  teardown: () => void = () => {},
): Figure {
  const times: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    setup();
    const t0 = process.hrtime.bigint();
    run();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    teardown();
    if (i > 0) times.push(dt); // the first run is a warm-up
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  return {
    opsPerSec: rows / median,
    spreadPct: ((times[times.length - 1] - times[0]) / median) * 100,
    samples: times.length,
  };
}

/**
 * measureRun for several contenders whose cost is mostly a device's (durable commits): their
 * samples are taken in turn — a, b, c, a, b, c, … — so that a slow spell of the disk, which can
 * last seconds and change its latency twofold, falls on every contender instead of on whichever
 * ran then. One warm-up round first; each Figure is the median of its own samples.
 */
export function measureInterleaved<K extends string>(
  rows: number,
  samples: number,
  runs: Record<K, () => void>,
): Record<K, Figure> {
  const names = Object.keys(runs) as K[];
  const times = new Map<K, number[]>(names.map((k) => [k, []]));
  for (let i = 0; i < samples + 1; i++) {
    for (const name of names) {
      const t0 = process.hrtime.bigint();
      runs[name]();
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      if (i > 0) times.get(name)?.push(dt);
    }
  }
  const out = {} as Record<K, Figure>;
  for (const name of names) {
    const t = (times.get(name) ?? []).sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)];
    out[name] = {
      opsPerSec: rows / median,
      spreadPct: ((t[t.length - 1] - t[0]) / median) * 100,
      samples: t.length,
    };
  }
  return out;
}

export function fmt(f: Figure | null): string {
  if (!f) return '—';
  const v = f.opsPerSec;
  const s = v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(1);
  return `${s}/s ±${f.spreadPct.toFixed(0)}%`;
}

export function ratio(ours: Figure | null, theirs: Figure | null): string {
  if (!ours || !theirs) return '—';
  return `${(ours.opsPerSec / theirs.opsPerSec).toFixed(2)}×`;
}

/**
 * Run `work` while a 1 ms timer measures how late it fires (its lag): the time the main thread
 * could not answer anything. Returns the wall time of `work`, when it started, and every lag in
 * ms, sorted; `onLag(due, lag)` sees each one as it happens.
 */
export async function timerLag(
  work: () => Promise<void> | void,
  onLag?: (due: number, lag: number) => void,
): Promise<{ ms: number; t0: number; lags: number[] }> {
  const lags: number[] = [];
  let last = performance.now();
  let on = true;
  const tick = (): void => {
    const now = performance.now();
    const lag = Math.max(0, now - last - 1);
    lags.push(lag);
    onLag?.(last + 1, lag);
    last = now;
    if (on) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  // Let the timer see the end of a final blocking stretch.
  await new Promise((r) => setTimeout(r, 5));
  on = false;
  lags.sort((a, b) => a - b);
  return { ms, t0, lags };
}

/** The q-quantile of sorted lags, rounded to `digits` decimals. */
export function lagAt(sorted: readonly number[], q: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * f) / f;
}

/** The first line a spawned writer prints (its report), or a rejection if it exits first. */
export function firstLine(child: ChildProcessByStdio<null, Readable, null>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
}
