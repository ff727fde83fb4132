/**
 * The main thread's collections while a big result arrives, without a worker (issue 14): decodes
 * a million `[id, note]` rows from shared memory with the async API's real Decoder, one batch per
 * task as RemoteRows does, keeps them, and prints the event-loop lag and the collections of that
 * thread. A companion of bench/async-lag.ts that isolates what the decoding leaves to the
 * collector from what the machine's load does (docs/async.md, "Measurements").
 *
 *   node dist/bench/async-decode-gc.js [build dir]      (build dir: another tree's dist/src)
 *   node --trace-gc-nvp dist/bench/async-decode-gc.js   (adds, per scavenge, the bytes it copied:
 *                                                        promoted + new_space_survived)
 *
 * DECODE_BATCH=rows per task (2048); DECODE_YIELD=immediate|microtask between tasks;
 * DECODE_KEEP=push (into one growing array, as fetchAll does) | chunks (one array built at the
 * end) | none (rows dropped, as a drain by fetchMany does); DECODE_BALLAST=bytes of garbage
 * allocated beside each batch (0).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { lagAt, timerLag } from './harness';

const BUILD = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'src'));
const N = 1_000_000;
const BATCH = Number(process.env.DECODE_BATCH ?? 2048);
const YIELD = process.env.DECODE_YIELD ?? 'immediate';
const KEEP = process.env.DECODE_KEEP ?? 'push';
const BALLAST = Number(process.env.DECODE_BALLAST ?? 0);

interface Codec {
  Encoder: new (bytes: Buffer) => { pos: number; value(v: unknown): boolean };
  Decoder: new (bytes: Buffer) => { pos: number; value(): unknown };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Encoder, Decoder } = require(path.join(BUILD, 'async', 'codec')) as Codec;

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** The channel's shared region (256 KiB, as src/async/channel.ts), and each batch's bytes. */
const region = Buffer.from(new SharedArrayBuffer(256 * 1024));
const encoded: Buffer[] = [];
for (let from = 0; from < N; from += BATCH) {
  const rows: unknown[] = [];
  for (let i = from; i < Math.min(N, from + BATCH); i++) rows.push([i, `note ${(i * 104729) % N}`]);
  const enc = new Encoder(region);
  if (!enc.value(rows)) throw new Error(`a batch of ${BATCH} rows does not fit the channel`);
  encoded.push(Buffer.from(region.subarray(0, enc.pos)));
}
const decoder = new Decoder(region);
function decode(k: number): unknown[] {
  encoded[k].copy(region);
  decoder.pos = 0;
  return decoder.value() as unknown[];
}

const GC_KIND: Record<number, string> = { 1: 'scavenge', 4: 'mark-compact', 8: 'incremental', 16: 'weak' };
const gcs: { kind: string; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail: { kind: number } }).detail.kind;
    gcs.push({ kind: GC_KIND[kind] ?? String(kind), ms: e.duration });
  }
}).observe({ entryTypes: ['gc'] });

let sink: unknown = null;
async function main(): Promise<void> {
  const kept: unknown[] = [];
  const chunks: unknown[][] = [];
  let decodeMs = 0;
  let finalMs = 0;
  collectGarbage();
  gcs.length = 0;
  const { ms, lags } = await timerLag(async () => {
    const next = (): Promise<void> =>
      new Promise((resolve) => (YIELD === 'microtask' ? queueMicrotask(resolve) : setImmediate(resolve)));
    for (let k = 0; k < encoded.length; k++) {
      await next();
      const t = performance.now();
      const rows = decode(k);
      if (KEEP === 'push') for (const r of rows) kept.push(r);
      else if (KEEP === 'chunks') chunks.push(rows);
      for (let b = 0; b < BALLAST; b += 64 * 1024) sink = new Array<unknown>(8 * 1024);
      decodeMs += performance.now() - t;
    }
    if (KEEP === 'chunks') {
      const t = performance.now();
      for (const c of chunks) for (const r of c) kept.push(r);
      finalMs = performance.now() - t;
    }
  });
  const byKind: Record<string, { n: number; ms: number; max: number }> = {};
  for (const g of gcs) {
    const k = (byKind[g.kind] ??= { n: 0, ms: 0, max: 0 });
    k.n++;
    k.ms += g.ms;
    k.max = Math.max(k.max, g.ms);
  }
  const at = (q: number): number => lagAt(lags, q, 1);
  console.log(
    JSON.stringify({
      build: BUILD,
      batch: BATCH,
      yield: YIELD,
      keep: KEEP,
      ballast: BALLAST,
      load: os.loadavg()[0].toFixed(2),
      ms: Math.round(ms),
      decodeMs: Math.round(decodeMs),
      finalMs: Math.round(finalMs),
      lag: { p50: at(0.5), p99: at(0.99), max: at(1) },
      gc: Object.fromEntries(
        Object.entries(byKind).map(([k, v]) => [k, `${v.n}x ${Math.round(v.ms)}ms max ${v.max.toFixed(1)}`]),
      ),
      rows: KEEP === 'none' ? 0 : kept.length,
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
      sink: sink === null ? 0 : 1,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
