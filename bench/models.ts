/**
 * Typed models against the plain typed API on the same workload (SPEC §11 items): bulk insert,
 * point get and indexed where, each measured in alternating rounds (plain, model, plain, model,
 * ...; the side going first alternates) after a warm-up of both, so drift on a shared machine hits
 * both sides alike. The figure per side is its best round; the overhead is the median of the
 * per-round ratios.
 * The target is at most 5 % overhead (issue 16).
 *
 *   npm run bench:models -- [--rows 50000] [--rounds 5]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, model, t } from '../src/index';
import type { ModelCollection } from '../src/index';
import { fmt, measureOps, measureRun } from './harness';
import type { Figure } from './harness';
import { ITEM_FIELDS, ITEM_INDEXES, arg, makeItems, randomIds } from './data';

const items = model(
  'items',
  {
    id: t.int64(),
    sku: t.string(),
    qty: t.int64(),
    price: t.float64(),
    status: t.string(),
    note: t.string(),
  },
  { primaryKey: 'id', indexes: [t.unique('sku'), t.index('status'), t.index('qty')] },
);

interface Line {
  workload: string;
  plain: Figure;
  model: Figure;
  overheadPct: number;
}

function best(figs: Figure[]): Figure {
  return figs.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
}

function main(): void {
  const n = Number(arg('rows', '50000'));
  const rounds = Number(arg('rounds', '5'));
  const rows = makeItems(n);
  const ids = randomIds(n, 1000);
  // The plain API takes any record; ItemRow is an interface (no index signature).
  const plainRows = rows as unknown as Record<string, unknown>[];

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

  const workloads: { name: string; plain: () => Figure; model: () => Figure }[] = [
    {
      name: `insert ${n} rows (one transaction)`,
      plain: () =>
        measureRun(n, 3, freshPlain, () =>
          plainDb.transaction(() => {
            for (const r of plainRows) plainDb.insert('items', r);
          }),
        ),
      model: () =>
        measureRun(n, 3, freshModel, () =>
          modelDb.transaction(() => {
            for (const r of rows) coll.upsert(r);
          }),
        ),
    },
    {
      name: 'get by primary key',
      plain: () => {
        let i = 0;
        return measureOps('plain get', () => plainDb.get('items', ids[i++ % ids.length]), 1);
      },
      model: () => {
        let i = 0;
        return measureOps('model get', () => coll.get(ids[i++ % ids.length]), 1);
      },
    },
    {
      name: "where status = 'paid' limit 10",
      plain: () =>
        measureOps(
          'plain where',
          () => plainDb.collection('items').where('status', 'paid').limit(10).all(),
          1,
        ),
      model: () => measureOps('model where', () => coll.where('status', 'paid').limit(10).all(), 1),
    },
    {
      name: 'where qty between 100 and 110, count',
      plain: () =>
        measureOps(
          'plain range',
          () => plainDb.collection('items').where('qty', 'between', [100, 110]).count(),
          1,
        ),
      model: () => measureOps('model range', () => coll.where('qty', 'between', [100, 110]).count(), 1),
    },
  ];

  const lines: Line[] = [];
  for (const w of workloads) {
    // Reads run against loaded databases; the insert workload reloads its own.
    if (!w.name.startsWith('insert')) {
      freshPlain();
      freshModel();
      plainDb.transaction(() => plainRows.forEach((r) => plainDb.insert('items', r)));
      modelDb.transaction(() => rows.forEach((r) => coll.upsert(r)));
    }
    const p: Figure[] = [];
    const m: Figure[] = [];
    w.plain(); // warm-up of both paths, not counted
    w.model();
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first: JIT and GC effects of going second fall on both.
      if (r % 2 === 0) {
        p.push(w.plain());
        m.push(w.model());
      } else {
        m.push(w.model());
        p.push(w.plain());
      }
    }
    const plain = best(p);
    const typed = best(m);
    // Overhead from rounds measured back to back (the median of the paired ratios): on a shared
    // machine the load drifts between rounds more than between the two halves of one round.
    const ratios = p.map((f, i) => f.opsPerSec / m[i].opsPerSec).sort((a, b) => a - b);
    const overheadPct = (ratios[Math.floor(ratios.length / 2)] - 1) * 100;
    lines.push({ workload: w.name, plain, model: typed, overheadPct });
    console.log(
      `${w.name.padEnd(42)} plain ${fmt(plain).padEnd(18)} model ${fmt(typed).padEnd(18)} overhead ${overheadPct.toFixed(1)}%`,
    );
  }
  plainDb.close();
  modelDb.close();
  const dir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `models-${n}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ rows: n, rounds, node: process.version, lines }, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

main();
