/**
 * The crash campaign's writer process: opens (or creates) the database, then runs a seeded random
 * mix of work until its parent SIGKILLs it, announcing each step on stdout (protocol in
 * workload.ts). It loads the built package, like the crash test's child-writer.js.
 *
 *   node dist/scripts/crash/worker.js <file> <seed> <firstTxn> <firstNewId> <focus>
 *
 * `focus` is `none` or a maintenance op (checkpoint, compact, close) to run often, because the
 * parent means to kill this worker while it is inside that call.
 */
import { Database, connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { COLLECTIONS, encodeLine, intBetween, MAINTENANCE_OPS, noteFor, rng } from './workload';
import type { CollectionName, MaintenanceOp, Plan, Step, TxnKind } from './workload';

const [file, seedArg, firstTxnArg, firstIdArg, focusArg] = process.argv.slice(2);
const rand = rng(Number(seedArg));
const focus = focusArg === 'none' ? null : (focusArg as MaintenanceOp);
let nextTxn = Number(firstTxnArg);
let nextId = Number(firstIdArg);

// The parent reads every line: stdout on a pipe is written synchronously on Linux, so a line
// that was written before the kill is never lost with the process.
const say = (tag: 'R' | 'P' | 'A' | 'K' | 'D', ...parts: (string | number)[]): void => {
  process.stdout.write(encodeLine(tag, ...parts));
};
// A parent that died cannot kill us; do not write forever into a closed pipe.
process.stdout.on('error', () => process.exit(2));
setTimeout(() => process.exit(3), 120_000).unref();

let db: Database;
let conn: Connection;

function open(): void {
  // Light checkpoints every 4 KiB of log (the default is 512 KiB): the campaign's files are
  // small, and kills must land in them and in the lag they leave as often as in full ones.
  db = Database.open(file, { lightCheckpointBytes: 4 * 1024 });
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'txn', type: 'int64' },
      { path: 'note', type: 'string' },
    ],
    'id',
    [{ name: 'items_txn', path: 'txn', kind: 'index' }],
  );
  conn = connect(file);
  conn.execute('CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, note TEXT)');
  conn.commit();
  say('R');
}

const pickColl = (): CollectionName => COLLECTIONS[intBetween(rand, 0, 1)];

/**
 * Mostly small transactions, some medium and a few up to 2,000 rows: big enough to span many
 * frames, rare enough that a file's live rows stay within what a round can verify quickly.
 */
function txnSize(): number {
  const r = rand();
  if (r < 0.6) return intBetween(rand, 1, 10);
  if (r < 0.94) return intBetween(rand, 11, 100);
  return intBetween(rand, 101, 2000);
}

function newIds(n: number): { from: number; to: number } {
  const from = nextId;
  nextId += n;
  return { from, to: nextId - 1 };
}

/** Ids of earlier rows (some already deleted, or in the other collection: those steps do nothing). */
function earlierIds(max: number): number[] {
  const n = intBetween(rand, 0, max);
  const ids: number[] = [];
  for (let i = 0; i < n && nextId > 1; i++) ids.push(intBetween(rand, 1, nextId - 1));
  return ids;
}

function planFor(kind: TxnKind): Plan {
  const steps: Step[] = [];
  switch (kind) {
    case 'auto-put':
      steps.push({ op: 'put', coll: pickColl(), ...newIds(1) });
      break;
    case 'auto-del':
      steps.push({ op: 'del', coll: pickColl(), ids: earlierIds(1).slice(0, 1) });
      break;
    case 'sql-auto': {
      const r = rand();
      if (r < 0.5) steps.push({ op: 'put', coll: pickColl(), ...newIds(1) });
      else steps.push({ op: r < 0.8 ? 'upd' : 'del', coll: pickColl(), ids: [intBetween(rand, 1, nextId)] });
      break;
    }
    default: {
      // A transaction that spans both collections, so atomicity is checked across them too.
      const n = txnSize();
      const first = intBetween(rand, 0, n);
      if (first > 0) steps.push({ op: 'put', coll: 'items', ...newIds(first) });
      if (n - first > 0) steps.push({ op: 'put', coll: 'tags', ...newIds(n - first) });
      steps.push({ op: 'upd', coll: pickColl(), ids: earlierIds(10) });
      const deleted = earlierIds(10);
      const coll = pickColl();
      steps.push({ op: 'del', coll, ids: deleted });
      // Deleting and rewriting a row in one transaction: the order of steps must survive replay.
      if (deleted.length > 0 && rand() < 0.3)
        steps.push({ op: 'put', coll, from: deleted[0], to: deleted[0] });
    }
  }
  return { kind, steps, rollback: kind === 'rollback' || kind === 'sql-rollback' };
}

class Rollback extends Error {}

function runTyped(txn: number, steps: Step[]): void {
  for (const step of steps) {
    if (step.op === 'put') {
      for (let id = step.from; id <= step.to; id++)
        db.insert(step.coll, { id, txn, note: noteFor(step.coll, id, txn) });
    } else if (step.op === 'upd') {
      for (const id of step.ids)
        if (db.get(step.coll, id)) db.insert(step.coll, { id, txn, note: noteFor(step.coll, id, txn) });
    } else {
      for (const id of step.ids) db.delete(step.coll, id);
    }
  }
}

function runSql(txn: number, steps: Step[]): void {
  const cur = conn.cursor();
  for (const step of steps) {
    if (step.op === 'put') {
      const rows: unknown[][] = [];
      for (let id = step.from; id <= step.to; id++) rows.push([id, txn, noteFor(step.coll, id, txn)]);
      cur.executeMany(`INSERT OR REPLACE INTO ${step.coll} (id, txn, note) VALUES (?, ?, ?)`, rows);
    } else if (step.op === 'upd') {
      const rows = step.ids.map((id) => [txn, noteFor(step.coll, id, txn), id]);
      if (rows.length > 0) cur.executeMany(`UPDATE ${step.coll} SET txn = ?, note = ? WHERE id = ?`, rows);
    } else if (step.ids.length > 0) {
      cur.executeMany(
        `DELETE FROM ${step.coll} WHERE id = ?`,
        step.ids.map((id) => [id]),
      );
    }
  }
  cur.close();
}

function runTxn(kind: TxnKind): void {
  const txn = nextTxn++;
  const plan = planFor(kind);
  say('P', txn, JSON.stringify(plan));
  switch (kind) {
    case 'auto-put':
    case 'auto-del':
      // No transaction(): the typed API's own autocommit is what is being tested.
      runTyped(txn, plan.steps);
      break;
    case 'sql-auto':
      conn.autocommit = true;
      runSql(txn, plan.steps);
      conn.autocommit = false;
      break;
    case 'txn':
      db.transaction(() => runTyped(txn, plan.steps));
      break;
    case 'rollback':
      try {
        db.transaction(() => {
          runTyped(txn, plan.steps);
          throw new Rollback();
        });
      } catch (err) {
        if (!(err instanceof Rollback)) throw err;
      }
      break;
    case 'sql-txn':
      runSql(txn, plan.steps);
      conn.commit();
      break;
    case 'sql-rollback':
      runSql(txn, plan.steps);
      conn.rollback();
      break;
  }
  say('A', txn);
}

function runMaintenance(op: MaintenanceOp): void {
  say('K', op);
  if (op === 'checkpoint') db.checkpoint();
  else if (op === 'compact') db.compact();
  else {
    conn.close();
    db.close();
  }
  say('D', op);
  if (op === 'close') open();
}

const KINDS: [TxnKind, number][] = [
  ['auto-put', 20],
  ['auto-del', 5],
  ['sql-auto', 10],
  ['txn', 30],
  ['sql-txn', 25],
  ['rollback', 5],
  ['sql-rollback', 5],
];
const KIND_TOTAL = KINDS.reduce((sum, [, w]) => sum + w, 0);

function step(): void {
  const r = rand();
  if (focus && r < 0.25) return runMaintenance(focus);
  if (!focus && r < 0.09) return runMaintenance(MAINTENANCE_OPS[Math.floor(r / 0.03)]);
  let w = rand() * KIND_TOTAL;
  for (const [kind, weight] of KINDS) {
    w -= weight;
    if (w < 0) return runTxn(kind);
  }
  runTxn('txn');
}

open();
// One step per turn of the event loop: the writer lock's refresh timer must get to run, as it
// would in an application.
const loop = (): void => {
  step();
  setImmediate(loop);
};
loop();
