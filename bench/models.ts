/**
 * Typed models against the plain typed API on the same workload (SPEC §11 items): bulk insert,
 * point get and indexed where. On a shared machine the load drifts by tens of percent within
 * seconds, more than the difference being measured, so the two sides run in short interleaved
 * chunks (plain, model, model, plain, ...: each goes first half of the time) after a warm-up,
 * each timed by the process's CPU time, and the overhead is the median of the per-chunk ratios. The target is at most 5 %
 * overhead (issue 16).
 *
 *   npm run bench:models -- [--rows 20000] [--chunks 40]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, model, t } from '../src/index';
import type { ModelCollection } from '../src/index';
import { ITEM_FIELDS, ITEM_INDEXES, arg, makeItems, randomIds } from './data';

const items = model(
  'items',
  {
    id: t.int64(),
    sku: t.string(),
    uuid: t.string(),
    qty: t.int64(),
    price: t.float64(),
    status: t.string(),
    note: t.string(),
  },
  { primaryKey: 'id', indexes: [t.unique('sku'), t.unique('uuid'), t.index('status'), t.index('qty')] },
);

interface Side {
  /** Prepare a chunk (not timed). */
  setup?: () => void;
  /** Run one chunk; returns the operations it did. */
  run: () => number;
}

interface Line {
  workload: string;
  plainOpsPerSec: number;
  modelOpsPerSec: number;
  /** Median over chunks of (model time / plain time - 1), in percent. */
  overheadPct: number;
  chunks: number;
}

/**
 * CPU time (user + system) of one chunk, not wall time: with other processes competing for the
 * cores, wall time counts the time this process waits to be scheduled, which is most of the noise.
 */
function timed(side: Side): { ops: number; seconds: number } {
  side.setup?.();
  const c0 = process.cpuUsage();
  const ops = side.run();
  const c = process.cpuUsage(c0);
  return { ops, seconds: (c.user + c.system) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function compare(name: string, plain: Side, typed: Side, chunks: number): Line {
  for (let i = 0; i < 3; i++) {
    timed(plain);
    timed(typed);
  }
  const ratios: number[] = [];
  const p: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < chunks; i++) {
    const first = i % 2 === 0 ? plain : typed;
    const second = first === plain ? typed : plain;
    const a = timed(first);
    const b = timed(second);
    const [pt, mt] = first === plain ? [a, b] : [b, a];
    ratios.push(mt.seconds / pt.seconds);
    p.push(pt.ops / pt.seconds);
    m.push(mt.ops / mt.seconds);
  }
  const line: Line = {
    workload: name,
    plainOpsPerSec: median(p),
    modelOpsPerSec: median(m),
    overheadPct: (median(ratios) - 1) * 100,
    chunks,
  };
  const k = (v: number): string => (v >= 1e3 ? `${(v / 1e3).toFixed(1)}k/s` : `${v.toFixed(0)}/s`);
  console.log(
    `${name.padEnd(40)} plain ${k(line.plainOpsPerSec).padEnd(10)} model ${k(line.modelOpsPerSec).padEnd(10)} overhead ${line.overheadPct.toFixed(1)}%`,
  );
  return line;
}

function main(): void {
  const n = Number(arg('rows', '20000'));
  const chunks = Number(arg('chunks', '40'));
  const rows = makeItems(n);
  const ids = randomIds(n, 1000);
  // The plain API takes any record; ItemRow is an interface (no index signature).
  const plainRows = rows as unknown as Record<string, unknown>[];
  const batch = Math.min(n, 5000);

  let plainDb = Database.openInMemory();
  let modelDb = Database.openInMemory();
  let coll: ModelCollection<typeof items> = modelDb.register(items);
  const freshPlain = (): void => {
    plainDb.close();
    plainDb = Database.openInMemory();
    plainDb.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  };
  const freshModel = (): void => {
    modelDb.close();
    modelDb = Database.openInMemory();
    coll = modelDb.register(items);
  };

  const lines: Line[] = [];
  lines.push(
    compare(
      `insert ${batch} rows (one transaction)`,
      {
        setup: freshPlain,
        run: () =>
          plainDb.transaction(() => {
            for (let i = 0; i < batch; i++) plainDb.insert('items', plainRows[i]);
            return batch;
          }),
      },
      {
        setup: freshModel,
        run: () =>
          modelDb.transaction(() => {
            for (let i = 0; i < batch; i++) coll.upsert(rows[i]);
            return batch;
          }),
      },
      chunks,
    ),
  );

  freshPlain();
  freshModel();
  plainDb.transaction(() => plainRows.forEach((r) => plainDb.insert('items', r)));
  modelDb.transaction(() => rows.forEach((r) => coll.upsert(r)));
  const repeat = (times: number, fn: (i: number) => unknown): number => {
    for (let i = 0; i < times; i++) fn(i);
    return times;
  };
  lines.push(
    compare(
      'get by primary key',
      { run: () => repeat(100000, (i) => plainDb.get('items', ids[i % ids.length])) },
      { run: () => repeat(100000, (i) => coll.get(ids[i % ids.length])) },
      chunks,
    ),
  );
  lines.push(
    compare(
      "where status = 'paid' limit 10",
      { run: () => repeat(2000, () => plainDb.collection('items').where('status', 'paid').limit(10).all()) },
      { run: () => repeat(2000, () => coll.where('status', 'paid').limit(10).all()) },
      chunks,
    ),
  );
  lines.push(
    compare(
      'where qty between 100 and 110, count',
      {
        run: () => repeat(400, () => plainDb.collection('items').where('qty', 'between', [100, 110]).count()),
      },
      { run: () => repeat(400, () => coll.where('qty', 'between', [100, 110]).count()) },
      chunks,
    ),
  );
  plainDb.close();
  modelDb.close();
  const backfillRows = Number(arg('backfill', '0'));
  const backfillLine = backfillRows > 0 ? benchBackfill(backfillRows) : null;
  const dir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `models-${n}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify({ rows: n, chunks, node: process.version, lines, backfill: backfillLine }, null, 2)}\n`,
  );
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

/** db.backfill() of a nested path over `rows` rows (in memory, batches of 1000): rows per second. */
function benchBackfill(rows: number): { rows: number; seconds: number; rowsPerSec: number } {
  const db = Database.openInMemory();
  db.registerCollection(
    'users',
    [
      { path: 'id', type: 'int64' },
      {
        path: 'profile',
        type: {
          object: [
            { path: 'tz', type: 'string' },
            { path: 'lang', type: { optional: 'string' } },
          ],
        },
      },
    ],
    'id',
  );
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) db.insert('users', { id: i, profile: { tz: 'UTC' } });
  });
  const t0 = process.hrtime.bigint();
  const done = db.backfill('users', 'profile.lang', 'en', { batchSize: 1000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  const line = { rows: done, seconds, rowsPerSec: done / seconds };
  console.log(
    `backfill profile.lang over ${done} rows: ${seconds.toFixed(1)} s, ${(line.rowsPerSec / 1e3).toFixed(1)}k rows/s`,
  );
  return line;
}

main();
