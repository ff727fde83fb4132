/**
 * What the crash campaign's worker and its parent share: the seeded RNG, the rows a transaction
 * writes and the line protocol on the worker's stdout. A row's content follows from its
 * collection, id and writing transaction alone, so a plan line names ids, not whole rows, and the
 * parent can tell from a row read back which transaction wrote it and whether it is intact.
 *
 * Worker stdout, one line each (written synchronously, so a line the parent reads was written
 * before the worker died):
 *   R                     the database is open (again, after a close)
 *   P <txn> <plan json>   about to run transaction <txn> (nothing of it is durable yet)
 *   A <txn>               commit() (or the rollback) of <txn> returned: acknowledged
 *   K <op>                entering checkpoint / compact / close
 *   D <op>                that call returned
 */

/** The collections the worker writes: one registered through the typed API, one created by SQL. */
export const COLLECTIONS = ['items', 'tags'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

export type MaintenanceOp = 'checkpoint' | 'compact' | 'close';
export const MAINTENANCE_OPS: readonly MaintenanceOp[] = ['checkpoint', 'compact', 'close'];

/**
 * One step of a transaction. `put` inserts or replaces, `upd` changes the row only if it exists,
 * `del` removes it if it exists. Every step of transaction T leaves rows with `txn = T`.
 */
export type Step =
  | { op: 'put'; coll: CollectionName; from: number; to: number } // ids from..to inclusive
  | { op: 'upd'; coll: CollectionName; ids: number[] }
  | { op: 'del'; coll: CollectionName; ids: number[] };

export type TxnKind = 'auto-put' | 'auto-del' | 'sql-auto' | 'txn' | 'sql-txn' | 'rollback' | 'sql-rollback';

export interface Plan {
  kind: TxnKind;
  steps: Step[];
  /** The worker throws (or calls rollback()) instead of committing: none of it may become visible. */
  rollback: boolean;
}

/** sfc32: small, fast and seedable, so a round's worker makes the same choices on a rerun. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function intBetween(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** A 32-bit mix of three numbers (murmur3's finalizer), for per-round seeds and row contents. */
export function mix(a: number, b: number, c = 0): number {
  let h = 0x811c9dc5;
  for (const v of [a, b, c]) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const POOL = ((): string => {
  let x = 12345;
  let out = '';
  for (let i = 0; i < 4096; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += ALPHABET[(x >>> 24) % ALPHABET.length];
  }
  return out;
})();

/**
 * The note column of row `id` as transaction `txn` wrote it: varied length (up to 300 characters
 * and a prefix, so frames differ in size) and content that changes with every rewrite, so a stale
 * or torn row read back cannot pass for the current one. A slice of one fixed random string, since
 * every row is rebuilt and compared after every kill.
 */
export function noteFor(coll: CollectionName, id: number, txn: number): string {
  const h = mix(coll === 'items' ? 1 : 2, id, txn);
  const len = h % 301;
  const at = (h >>> 9) % (POOL.length - len);
  return `${txn}:${POOL.slice(at, at + len)}`;
}

export function encodeLine(tag: 'R' | 'P' | 'A' | 'K' | 'D', ...parts: (string | number)[]): string {
  return `${[tag, ...parts].join(' ')}\n`;
}

export type Line =
  | { tag: 'R' }
  | { tag: 'P'; txn: number; plan: Plan }
  | { tag: 'A'; txn: number }
  | { tag: 'K' | 'D'; op: MaintenanceOp };

export function parseLine(text: string): Line | null {
  const tag = text[0];
  const rest = text.slice(2);
  switch (tag) {
    case 'R':
      return { tag: 'R' };
    case 'P': {
      const space = rest.indexOf(' ');
      return { tag: 'P', txn: Number(rest.slice(0, space)), plan: JSON.parse(rest.slice(space + 1)) as Plan };
    }
    case 'A':
      return { tag: 'A', txn: Number(rest) };
    case 'K':
    case 'D':
      return { tag, op: rest as MaintenanceOp };
    default:
      return null;
  }
}

/** Rows a collection holds, by id: the transaction that last wrote each one. */
export type CollectionState = Map<number, number>;
export type State = Record<CollectionName, CollectionState>;

export function emptyState(): State {
  return { items: new Map(), tags: new Map() };
}

export function cloneState(s: State): State {
  return { items: new Map(s.items), tags: new Map(s.tags) };
}

/** The state after transaction `txn` ran `plan` on `s` (a new object; `s` is untouched). */
export function applyPlan(s: State, txn: number, plan: Plan): State {
  const out = cloneState(s);
  applyPlanInPlace(out, txn, plan);
  return out;
}

/** Apply transaction `txn` to `out` itself: the parent's model grows by every acknowledgement. */
export function applyPlanInPlace(out: State, txn: number, plan: Plan): void {
  if (plan.rollback) return;
  for (const step of plan.steps) {
    const rows = out[step.coll];
    if (step.op === 'put') {
      for (let id = step.from; id <= step.to; id++) rows.set(id, txn);
    } else if (step.op === 'upd') {
      for (const id of step.ids) if (rows.has(id)) rows.set(id, txn);
    } else {
      for (const id of step.ids) rows.delete(id);
    }
  }
}
