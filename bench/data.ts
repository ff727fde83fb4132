/**
 * The SPEC §11 workload data: items(id, sku, uuid, qty, price, status, note), deterministic per
 * seed. Keys arrive as application keys do (issue 15): `sku` and `uuid` are unique but in random
 * order relative to `id`; the `ascending` order keeps the old workload, whose text keys all
 * arrive in key order, for a separate bench line.
 */
export interface ItemRow {
  id: number;
  sku: string;
  uuid: string;
  qty: number;
  price: number;
  status: string;
  note: string;
}

/** The items collection of the workload, for the typed API. */
export const ITEM_FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'sku', type: 'string' as const },
  { path: 'uuid', type: 'string' as const },
  { path: 'qty', type: 'int64' as const },
  { path: 'price', type: 'float64' as const },
  { path: 'status', type: 'string' as const },
  { path: 'note', type: 'string' as const },
];

export const ITEM_INDEXES = [
  { name: 'items_sku', path: 'sku', kind: 'unique' as const },
  { name: 'items_uuid', path: 'uuid', kind: 'unique' as const },
  { name: 'items_status', path: 'status', kind: 'index' as const },
  { name: 'items_qty', path: 'qty', kind: 'index' as const },
];

/** The same table in SQL (both engines accept it). */
export const ITEMS_DDL = [
  'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, uuid TEXT UNIQUE, qty INTEGER, price REAL, status TEXT, note TEXT)',
  'CREATE INDEX IF NOT EXISTS items_status ON items (status)',
  'CREATE INDEX IF NOT EXISTS items_qty ON items (qty)',
];

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export const STATUSES = ['new', 'paid', 'shipped', 'returned', 'cancelled'];

/** Small deterministic PRNG (mulberry32) so both engines get identical data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type KeyOrder = 'random' | 'ascending';

/** A bijection on 32-bit integers (xor-shift-multiply rounds), so distinct ids give distinct keys. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const hex = (x: number, digits: number): string =>
  x
    .toString(16)
    .padStart(8, '0')
    .slice(8 - digits);

/** The sku of item `id`: unique; in random text order, or ascending with `id`. */
export function skuFor(id: number, order: KeyOrder = 'random'): string {
  const n = order === 'random' ? mix32(id) : id;
  return `SKU-${n.toString(36).toUpperCase().padStart(8, '0')}`;
}

/**
 * The uuid of item `id`, shaped like a version-4 UUID (random order; unique because its first
 * group is a bijection of the id) or a version-7 one (time-ordered: ascending with `id`).
 */
export function uuidFor(id: number, order: KeyOrder = 'random'): string {
  const a = mix32(id ^ 0x5bd1e995);
  const b = mix32(id + 0x27d4eb2f);
  const c = mix32(id * 3 + 1);
  if (order === 'ascending') {
    const t = id.toString(16).padStart(12, '0');
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(a, 3)}-${hex((b & 0x3fff) | 0x8000, 4)}-${hex(c, 8)}${hex(a >>> 16, 4)}`;
  }
  return `${hex(mix32(id), 8)}-${hex(a, 4)}-4${hex(b, 3)}-${hex((c & 0x3fff) | 0x8000, 4)}-${hex(b >>> 12, 4)}${hex((c ^ a) >>> 0, 8)}`;
}

/** `n` items with ids firstId, firstId + 1, … (their keys derive from the id, the rest from the seed). */
export function makeItems(n: number, seed = 42, order: KeyOrder = 'random', firstId = 1): ItemRow[] {
  const r = rng(seed);
  const rows: ItemRow[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = firstId + i;
    rows[i] = {
      id,
      sku: skuFor(id, order),
      uuid: uuidFor(id, order),
      qty: Math.floor(r() * 1000),
      price: Math.round(r() * 100000) / 100,
      status: STATUSES[Math.floor(r() * STATUSES.length)],
      note: `note ${i} ${'lorem ipsum dolor sit amet '.repeat(4).slice(0, 80 + Math.floor(r() * 60))}`,
    };
  }
  return rows;
}

export function randomIds(n: number, count: number, seed = 7): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => 1 + Math.floor(r() * n));
}
