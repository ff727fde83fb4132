/** The SPEC §11 workload data: items(id, sku, qty, price, status, note), deterministic per seed. */
export interface ItemRow {
  id: number;
  sku: string;
  qty: number;
  price: number;
  status: string;
  note: string;
}

/** The items collection of the workload, for the typed API. */
export const ITEM_FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'sku', type: 'string' as const },
  { path: 'qty', type: 'int64' as const },
  { path: 'price', type: 'float64' as const },
  { path: 'status', type: 'string' as const },
  { path: 'note', type: 'string' as const },
];

export const ITEM_INDEXES = [
  { name: 'items_sku', path: 'sku', kind: 'unique' as const },
  { name: 'items_status', path: 'status', kind: 'index' as const },
  { name: 'items_qty', path: 'qty', kind: 'index' as const },
];

/** The same table in SQL (both engines accept it). */
export const ITEMS_DDL = [
  'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, qty INTEGER, price REAL, status TEXT, note TEXT)',
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

export function makeItems(n: number, seed = 42): ItemRow[] {
  const r = rng(seed);
  const rows: ItemRow[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      id: i + 1,
      sku: `SKU-${(i + 1).toString(36).toUpperCase().padStart(8, '0')}`,
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
