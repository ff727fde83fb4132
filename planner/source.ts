/**
 * The pull interface every operator returns, and the one way operators make one.
 *
 * Why `source(next)` and not an object literal `{ next() { … } }`: V8 tracks each object
 * literal's allocation site and, once objects from a site seem to outlive young-generation
 * collections, allocates every later one straight into the old generation ("pretenuring"). A
 * statement re-executed in a loop tripped that for operator objects; an old operator then kept
 * every young object it pointed at (its rows, its cursor, its bindings) alive through each
 * collection, so they were promoted too and collection dominated short queries (measured with
 * `node --trace-gc-nvp`: ~4 MB promoted per scavenge and 20 µs per `SELECT 1`; none and 1 µs
 * with class instances). Instances of a class carry no allocation site. One class for every
 * operator also keeps `input.next` a monomorphic property load.
 */
import type { Row } from './compile-expr';

export interface Source {
  next(): Row | null;
  /**
   * The consumer will pull at most `n` more rows (a LIMIT above it): a source that reads ahead
   * in batches stops there, so `LIMIT 10` still reads 10 rows. Optional; a hint, never a cut-off.
   */
  readonly want?: ((n: number) => void) | undefined;
  /**
   * Pass over up to `n` rows without producing them (an OFFSET directly above, with nothing in
   * between that looks at a row); returns how many it passed over, fewer only when it ran out.
   * An index or table walk steps its cursor without reading the rows (SQLite does not read the
   * rows an OFFSET skips either). Optional: without it the rows are pulled and dropped.
   */
  readonly skip?: ((n: number) => number) | undefined;
}

class FnSource implements Source {
  constructor(
    readonly next: () => Row | null,
    readonly want: ((n: number) => void) | undefined,
    readonly skip: ((n: number) => number) | undefined,
  ) {}
}

export function source(
  next: () => Row | null,
  want?: (n: number) => void,
  skip?: (n: number) => number,
): Source {
  return new FnSource(next, want, skip);
}

/** A source over rows already in memory. */
export function rowsSource(rows: readonly Row[]): Source {
  let i = 0;
  return new FnSource(() => (i < rows.length ? rows[i++] : null), undefined, undefined);
}

/** Every row a source has left, in order. */
export function drain(src: Source): Row[] {
  const out: Row[] = [];
  for (let row = src.next(); row !== null; row = src.next()) out.push(row);
  return out;
}
