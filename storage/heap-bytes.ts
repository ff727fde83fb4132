/**
 * What a decoded row occupies on the V8 heap, roughly: the row caches' budgets (`cacheBytes`)
 * count this, not the row's encoded length, so a budget bounds the memory it costs (issue 15:
 * "the cache budget counts what it really holds"). Decoded rows are several times their encoded
 * size: each array, string and non-small number is an object with a header.
 *
 * The constants are for Node's default 64-bit build (no pointer compression: 8-byte slots) and
 * were fitted to heap measurements of rows decoded from records (test/storage/heap-bytes.test.ts
 * measures them again): a row of four small fields `[5, 'n5', 5, 2.5]` took 240 bytes, a bench
 * item of seven (two numbers, a 36-character uuid, four shorter strings) 571. Decoded arrays carry
 * spare capacity, and decoded strings more than their characters.
 */

/** A row array: the JSArray and its backing store's header and spare capacity. */
const ROW_OVERHEAD = 128;
/** A string's header and what decoding adds beyond its characters. */
const STRING_OVERHEAD = 56;
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
