/**
 * The inner rows an IndexNestedLoopJoin on a primary key found, kept by key for one execution.
 * Outer rows repeat inner keys (a join over all orders probes each customer once per order, ~10
 * times at the bench's shape): after the first probe of a key, the row is one array load away
 * instead of a primary-key lookup plus a row-cache lookup, two random memory accesses into
 * structures of the whole table. Only whole-number keys in [0, 2^26) are kept, in chunks of 4,096
 * slots allocated as keys land in them, so memory follows the keys actually probed (8 bytes a
 * slot) and a sparse key space costs no more than its chunks. Rows never change under one
 * execution (it reads one snapshot), so nothing is invalidated.
 */
import type { Row } from './compile-expr';

const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;
const MAX_KEY = 2 ** 26;

export class KeyRows {
  private readonly chunks: ((Row | null | undefined)[] | undefined)[] = [];

  /** The slot of `key`, or -1 when it is not a key this memo keeps. */
  slot(key: unknown): number {
    return typeof key === 'number' && key >= 0 && key < MAX_KEY && Number.isInteger(key) ? key : -1;
  }

  /**
   * The row kept for slot `s`: a row, null when the probe found none (remembered too), or
   * undefined when the key was not probed yet.
   */
  get(s: number): Row | null | undefined {
    return this.chunks[s >> CHUNK_SHIFT]?.[s & (CHUNK - 1)];
  }

  set(s: number, row: Row | null): void {
    const c = s >> CHUNK_SHIFT;
    // Grown one slot at a time (not by assigning far past the end) so the array stays a plain
    // list of chunks and never turns into a dictionary.
    while (this.chunks.length <= c) this.chunks.push(undefined);
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      chunk = new Array<Row | null | undefined>(CHUNK).fill(undefined);
      this.chunks[c] = chunk;
    }
    chunk[s & (CHUNK - 1)] = row;
  }
}
