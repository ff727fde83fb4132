/**
 * What a decoded row occupies on the V8 heap, roughly: the row caches' budgets (`cacheBytes`)
 * count this, not the row's encoded length, so a budget bounds the memory it costs (issue 15:
 * "the cache budget counts what it really holds"). Decoded rows are several times their encoded
 * size: each array, string and non-small number is an object with a header.
 *
 * The constants are V8's object sizes on Node's default 64-bit build (no pointer compression:
 * 8-byte slots), checked against the heap rows decoded from records really take once the decoder
 * runs optimized (test/storage/heap-bytes.test.ts measures them again): `[5, 'n5', 5, 2.5]` takes
 * 120 bytes — the array 48, its four slots 32, the string 24, the heap number 16. The decoder's
 * first few thousand rows, before it is optimized, come out up to twice as large (arrays grown
 * with spare capacity); a cache lives far longer than that.
 */

/** A row array: the JSArray object and its backing store's header. */
const ROW_OVERHEAD = 48;
/** A sequential string's header (its characters are counted apart, rounded up to 8 bytes). */
const STRING_OVERHEAD = 16;
/** A number that is not a small integer lives in a heap number of its own. */
const HEAP_NUMBER = 16;

/** Bytes `v` occupies beyond the slot that holds it. */
export function valueHeapBytes(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return (v | 0) === v ? 0 : HEAP_NUMBER;
    case 'string':
      return STRING_OVERHEAD + ((v.length + 7) & ~7);
    case 'bigint':
      return 32;
    case 'boolean':
    case 'undefined':
      return 0;
    case 'object': {
      if (v === null) return 0;
      if (v instanceof Uint8Array) return 96 + v.byteLength;
      if (Array.isArray(v)) return rowHeapBytes(v);
      if (v instanceof Date) return 48;
      let n = 64;
      for (const x of Object.values(v as Record<string, unknown>)) n += 8 + valueHeapBytes(x);
      return n;
    }
    default:
      return 16;
  }
}

/** Bytes a decoded row (an array of field values, possibly nested) occupies on the heap. */
export function rowHeapBytes(row: readonly unknown[]): number {
  let n = ROW_OVERHEAD + 8 * row.length;
  for (let i = 0; i < row.length; i++) n += valueHeapBytes(row[i]);
  return n;
}

/**
 * What holding one row in a cache costs beside the row: its entry object and its slots in the
 * cache's tables (kept at most half full), measured with the row cache's own bookkeeping.
 */
export const CACHE_ENTRY_BYTES = 96;

/** A cached row's charge against its cache's budget. */
export function cachedRowBytes(row: readonly unknown[]): number {
  return rowHeapBytes(row) + CACHE_ENTRY_BYTES;
}
