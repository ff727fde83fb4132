/**
 * Measurement helpers. Per-operation workloads run under the `benchmark` package (warm-up,
 * adaptive sample count, mean and relative margin of error); whole-build workloads (bulk insert,
 * open) are timed as repeated samples with the median and min–max spread reported.
 */
import Benchmark from 'benchmark';

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
