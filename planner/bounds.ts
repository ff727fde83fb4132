/**
 * Cursor bounds built per execution (and per outer row of an index join). A class rather than
 * an object literal for the reason given in planner/source.ts: literal allocation sites can be
 * pretenured, and an old bounds object keeps its young probe keys alive through collections.
 */
import type { CursorOptions } from '../storage/btree';

export class Bounds implements CursorOptions<unknown> {
  lo: unknown = undefined;
  loInclusive: boolean | undefined = undefined;
  hi: unknown = undefined;
  hiInclusive: boolean | undefined = undefined;
  constructor(public reverse: boolean | undefined = undefined) {}

  /** Every entry whose key equals `key`. */
  static exactly(key: unknown): Bounds {
    const b = new Bounds();
    b.lo = key;
    b.loInclusive = true;
    b.hi = key;
    b.hiInclusive = true;
    return b;
  }

  /** From `lo` to `hi`, both inclusive. */
  static between(lo: unknown, hi: unknown): Bounds {
    const b = new Bounds();
    b.lo = lo;
    b.loInclusive = true;
    b.hi = hi;
    b.hiInclusive = true;
    return b;
  }
}
