/**
 * SQLite's percentile extension (https://sqlite.org/percentile.html, built into the SQLite
 * better-sqlite3 ships): `median(Y)`, `percentile(Y, P)` with P from 0 to 100, and
 * `percentile_cont(Y, P)` / `percentile_disc(Y, P)` with P from 0 to 1, as aggregates and window
 * functions. NULL inputs are skipped; any other non-number is an error, as is infinity, a P out of
 * range or one that changes between rows. The result is REAL: the value at fraction P of the sorted
 * inputs, interpolated between its two neighbours (`_disc`: the lower one); NULL over no input.
 */
import { DataError } from '../src/errors';
import type { Accumulator } from './aggregates';
import { numericText } from './compile-expr';
import { untag } from './tagged-real';

export type PercentileFn = 'median' | 'percentile' | 'percentile_cont' | 'percentile_disc';

/** P values closer than this are the same P (SQLite's rule). */
const SAME_P = 0.001;

export class PercentileAcc implements Accumulator {
  private readonly values: number[] = [];
  private fraction: number | null = null;
  /** P as given for percentile(), else the fraction itself: the scale of "the same for all rows". */
  private readonly scale: number;

  constructor(private readonly fn: PercentileFn) {
    this.scale = fn === 'percentile' ? 100 : 1;
  }

  add(v: unknown, more?: readonly unknown[]): void {
    const p = this.fn === 'median' ? 0.5 : this.checkedFraction(more?.[0] ?? null);
    if (this.fraction === null) this.fraction = p;
    else if (Math.abs(this.fraction - p) * this.scale >= SAME_P)
      throw new DataError(`the fraction argument to ${this.fn}() is not the same for all input rows`, 'DATA');
    const y = untag(v);
    if (y === null || y === undefined) return;
    if (typeof y === 'boolean') {
      this.values.push(y ? 1 : 0);
      return;
    }
    if (typeof y !== 'number' && typeof y !== 'bigint')
      throw new DataError(`input to ${this.fn}() is not numeric`, 'DATA');
    const n = Number(y);
    if (!Number.isFinite(n)) throw new DataError(`Inf input to ${this.fn}()`, 'DATA');
    this.values.push(n);
  }

  /** P as a fraction from 0 to 1; text that reads as a number counts, as SQLite's numeric type does. */
  private checkedFraction(raw: unknown): number {
    const v = untag(raw);
    const n =
      typeof v === 'number' || typeof v === 'bigint'
        ? Number(v)
        : typeof v === 'boolean'
          ? Number(v)
          : typeof v === 'string'
            ? Number(numericText(v)?.value ?? Number.NaN)
            : Number.NaN;
    const p = n / this.scale;
    if (!(p >= 0 && p <= 1))
      throw new DataError(
        `the fraction argument to ${this.fn}() is not between 0.0 and ${this.scale.toFixed(1)}`,
        'DATA',
      );
    return p;
  }

  result(): unknown {
    const a = this.values;
    if (a.length === 0 || this.fraction === null) return null;
    // Windows ask for a result after every row: sort a copy, the values stay in arrival order.
    const sorted = Float64Array.from(a).sort();
    const ix = this.fraction * (sorted.length - 1);
    const i1 = Math.floor(ix);
    if (this.fn === 'percentile_disc') return sorted[i1];
    const i2 = ix === i1 || i1 === sorted.length - 1 ? i1 : i1 + 1;
    return sorted[i1] + (sorted[i2] - sorted[i1]) * (ix - i1);
  }
}
