/**
 * Aggregate accumulators with SQLite's rules: COUNT skips NULLs (COUNT(*) does not); SUM stays
 * INTEGER over integers and raises "integer overflow" like SQLite, becomes REAL on any REAL input
 * and sums REALs with Kahan–Babuška–Neumaier compensation; AVG and TOTAL are REAL; MIN/MAX skip
 * NULLs and use the one comparison order; DISTINCT dedupes by value key per group. TEXT inputs
 * take SQLite's numeric affinity (integer text adds as INTEGER, other text as REAL: sum('') = 0.0),
 * so SUM over TEXT has no static type: it is INTEGER or REAL per group.
 */
import { compareValues } from '../storage/compare';
import { DataError } from '../src/errors';
import type { AggregateFn, Collation, ValueType } from './expr';
import { collationKey, compareCollated } from './sql-text';
import { textAsNumber } from './sql-values';
import { primitiveKey, valueKey } from './value-key';
import { valueText } from './sqlite-conversions';
import { TaggedReal, tagReal, untag } from './tagged-real';
import { sqlToNode } from './json-sql';
import { carriesJson, clearMark } from './json-subtype';
import type { JsonMode } from './json-subtype';
import type { SortKey } from './logical';
import { compareKeyed } from './sort';
import type { Keyed } from './sort';
import { escapeString, renderJson } from './json-value';
import { PercentileAcc } from './percentile';

export interface Accumulator {
  /** `more` carries the call's further arguments for this row (group_concat's separator). */
  add(v: unknown, more?: readonly unknown[]): void;
  result(): unknown;
}

/**
 * An accumulator that also folds a run of numbers at once: `values[0..n)` in order, NaN for
 * NULL, with the result add() of each would give (planner/column-aggregate.ts). COUNT, SUM,
 * TOTAL, AVG, MIN and MAX over a column without a collation, not DISTINCT.
 */
export interface NumberFolder extends Accumulator {
  addNumbers(values: Float64Array, n: number): void;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** 2^52: integers at least this large lose bits as one double once summed, so SQLite splits them. */
const SPLIT = 4503599627370496;

/**
 * Kahan–Babuška–Neumaier running sum, step for step as SQLite's (func.c): an integer of magnitude
 * 2^52 or more enters as a multiple of 16384 and its remainder, each exact as a double.
 */
class KbnSum {
  sum = 0;
  c = 0;

  /** A sum starting from the integer sum so far (SQLite's switch from integer to REAL). */
  static from(i: number | bigint): KbnSum {
    const k = new KbnSum();
    const [big, small] = splitInt(i);
    k.sum = big;
    k.c = small;
    return k;
  }

  add(x: number): void {
    const s = this.sum;
    const t = s + x;
    if (Math.abs(s) > Math.abs(x)) this.c += s - t + x;
    else this.c += x - t + s;
    this.sum = t;
  }

  addInt(i: number | bigint): void {
    if (i > -SPLIT && i < SPLIT) {
      this.add(Number(i));
      return;
    }
    const [big, small] = splitInt(i);
    this.add(big);
    this.add(small);
  }

  /** The sum, without an error term that overflowed (SQLite keeps the running sum then). */
  value(): number {
    return Number.isFinite(this.c) ? this.sum + this.c : this.sum;
  }
}

/** An integer as [big, small]: small is 0 below 2^52; else i % 16384 and the rest, both exact. */
function splitInt(i: number | bigint): [number, number] {
  if (typeof i === 'number') {
    if (i > -SPLIT && i < SPLIT) return [i, 0];
    const small = i % 16384;
    return [i - small, small];
  }
  if (i > -SPLIT && i < SPLIT) return [Number(i), 0];
  const small = i % 16384n;
  return [Number(i - small), Number(small)];
}

class SumAcc implements NumberFolder {
  private int: number | bigint = 0;
  private real: KbnSum | null = null;
  private seen = false;
  private overflow = false;
  constructor(
    private readonly argType: ValueType,
    private readonly mode: 'sum' | 'total' | 'avg',
  ) {}
  private count = 0;

  add(v: unknown): void {
    if (v === null || v === undefined) return;
    this.seen = true;
    this.count++;
    let x: number | bigint;
    let isReal: boolean;
    if (typeof v === 'string' || v instanceof Uint8Array) {
      // TEXT (and a BLOB read as text) takes SQLite's numeric affinity: integer text stays
      // INTEGER, anything else turns the sum REAL ('' and 'abc' count as 0.0).
      const n = textAsNumber(typeof v === 'string' ? v : Buffer.from(v).toString('utf8'));
      x = n.value;
      isReal = !n.int;
    } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      // Integers beyond 2^53 travel as bigint, so a number that is not a safe integer is a REAL
      // (INTEGER arithmetic that overflowed int64, as 9223372036854775807 + 1).
      isReal = this.argType === 'real' || (typeof v === 'number' && !Number.isSafeInteger(v));
    } else if (v instanceof TaggedReal) {
      x = v.value;
      isReal = true;
    } else {
      throw new DataError(`${this.mode.toUpperCase()} cannot add a ${typeof v} value`, 'TYPE_MISMATCH');
    }
    if (isReal || this.real) {
      this.real ??= KbnSum.from(this.int);
      // A REAL input cancels an earlier integer overflow, as in SQLite.
      if (isReal) {
        this.overflow = false;
        this.real.add(Number(x));
      } else this.real.addInt(x);
      return;
    }
    if (typeof this.int === 'number' && typeof x === 'number') {
      const r = this.int + x;
      if (Number.isSafeInteger(r)) {
        this.int = r;
        return;
      }
    }
    const r = BigInt(this.int) + BigInt(x);
    if (r < INT64_MIN || r > INT64_MAX) {
      // SUM reports the overflow; TOTAL and AVG (and a SUM that later meets a REAL) go on as REAL.
      this.overflow = true;
      this.real = KbnSum.from(this.int);
      this.real.addInt(x);
      return;
    }
    this.int = r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
  }

  addNumbers(values: Float64Array, n: number): void {
    let i = 0;
    if (this.argType === 'real') {
      // add()'s REAL path, once per value: the compensated sum in the same order.
      let real = this.real;
      for (; i < n; i++) {
        const v = values[i];
        if (v !== v) continue;
        real ??= this.real = KbnSum.from(this.int);
        this.seen = true;
        this.overflow = false;
        this.count++;
        real.add(v);
      }
      return;
    }
    if (this.real === null && typeof this.int === 'number') {
      // Integers while the running sum stays a safe integer (it cannot reach int64's limits).
      let sum = this.int;
      let count = 0;
      for (; i < n; i++) {
        const v = values[i];
        if (v !== v) continue;
        const r = sum + v;
        if (!Number.isSafeInteger(r)) break;
        sum = r;
        count++;
      }
      this.int = sum;
      this.count += count;
      if (count > 0) this.seen = true;
    }
    for (; i < n; i++) {
      const v = values[i];
      if (v === v) this.add(v);
    }
  }

  result(): unknown {
    if (this.mode === 'avg') {
      if (!this.seen) return null;
      const total = this.real ? this.real.value() : Number(this.int);
      return total / this.count;
    }
    if (this.mode === 'total') return this.real ? this.real.value() : Number(this.int);
    if (!this.seen) return null;
    if (this.overflow) throw new DataError('integer overflow', 'DATA');
    // SUM's static type says REAL only over REAL arguments; otherwise a whole REAL sum needs the tag.
    if (this.real) return sumType(this.argType) === 'any' ? tagReal(this.real.value()) : this.real.value();
    return this.int;
  }
}

class CountAcc implements NumberFolder {
  n = 0;
  constructor(private readonly star: boolean) {}
  add(v: unknown): void {
    if (this.star || (v !== null && v !== undefined)) this.n++;
  }
  addNumbers(values: Float64Array, n: number): void {
    if (this.star) {
      this.n += n;
      return;
    }
    let c = 0;
    for (let i = 0; i < n; i++) if (values[i] === values[i]) c++;
    this.n += c;
  }
  result(): unknown {
    return this.n;
  }
}

class ExtremeAcc implements NumberFolder {
  best: unknown = null;
  /** Whether the last add() set a new extreme (the bare-column rule follows that row). */
  improved = false;
  constructor(
    private readonly sign: 1 | -1,
    /** The argument's collation: MIN/MAX of a NOCASE column compare as NOCASE, as in SQLite. */
    private readonly collation: Collation | undefined,
  ) {}
  add(v: unknown): void {
    this.improved = false;
    if (v === null || v === undefined) return;
    // The best value keeps its tag (a REAL stays REAL); comparisons see the number.
    const order =
      this.collation === undefined
        ? compareValues(untag(v), untag(this.best))
        : compareCollated(untag(v), untag(this.best), this.collation);
    if (this.best === null || this.sign * order < 0) {
      this.best = v;
      this.improved = true;
    }
  }
  addNumbers(values: Float64Array, n: number): void {
    const best = this.best;
    if (this.collation !== undefined || (best !== null && typeof best !== 'number')) {
      for (let i = 0; i < n; i++) if (values[i] === values[i]) this.add(values[i]);
      return;
    }
    // compareValues orders numbers by `<`; the first of equal values stays, as in add().
    let b = best;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) continue;
      if (b === null || (this.sign < 0 ? v >= b : v < b)) b = v;
    }
    this.improved = b !== best;
    this.best = b;
  }
  result(): unknown {
    return this.best;
  }
}

/** group_concat: each non-NULL value after the first is preceded by that row's separator. */
class GroupConcatAcc implements Accumulator {
  private parts: string[] = [];
  constructor(
    private readonly argReal: boolean,
    private readonly sepReal: boolean,
    private readonly hasSep: boolean,
  ) {}
  add(v: unknown, more?: readonly unknown[]): void {
    if (v === null || v === undefined) return;
    if (this.parts.length > 0) {
      const sep = this.hasSep ? valueText(more?.[0] ?? null, this.sepReal) : ',';
      if (sep !== null) this.parts.push(sep);
    }
    this.parts.push((v instanceof TaggedReal ? valueText(v.value, true) : valueText(v, this.argReal)) ?? '');
  }
  result(): unknown {
    return this.parts.length === 0 ? null : this.parts.join('');
  }
}

/**
 * json_group_array (`label` false) and json_group_object: every value, NULL included, as JSON;
 * a value straight from a JSON function is embedded (SQLite's JSON subtype); a NULL label skips
 * the row. The text is built as rows arrive so a big group holds one string, not a tree.
 */
class JsonGroupAcc implements Accumulator {
  private parts: string[] = [];
  constructor(
    private readonly object: boolean,
    private readonly valueReal: boolean,
    private readonly valueMode: JsonMode,
    private readonly labelReal: boolean,
  ) {}
  add(v: unknown, more?: readonly unknown[]): void {
    this.addValue(v, more);
    // A mark left by this row must not make an equal string of a later row look like JSON.
    if (this.valueMode === 'maybe') clearMark();
  }
  private addValue(v: unknown, more?: readonly unknown[]): void {
    if (!this.object) {
      // An 'any'-typed argument arrives tagged when it is a whole-number REAL.
      const real = v instanceof TaggedReal || this.valueReal;
      const x = untag(v) ?? null;
      this.parts.push(renderJson(sqlToNode(x, real, carriesJson(this.valueMode, x))));
      return;
    }
    const label = v instanceof TaggedReal ? valueText(v.value, true) : valueText(v ?? null, this.labelReal);
    if (label === null) return;
    const value = more?.[0] ?? null;
    const json = renderJson(sqlToNode(value, this.valueReal, carriesJson(this.valueMode, value)));
    this.parts.push(`"${escapeString(label)}":${json}`);
  }
  result(): unknown {
    return this.object ? `{${this.parts.join(',')}}` : `[${this.parts.join(',')}]`;
  }
}

class DistinctAcc implements Accumulator {
  /**
   * Values seen, as GroupIndex keys them: strings and numbers as themselves (no key string built
   * per row: COUNT(DISTINCT qty) spent most of its time making them), anything else by valueKey.
   */
  private readonly seen = new Set<string | number>();
  private readonly seenOther = new Set<string>();
  private sawNull = false;
  /** Whether the last add() reached the inner accumulator (false: a duplicate, dropped). */
  passed = false;
  constructor(
    readonly inner: Accumulator,
    /** Values equal under the argument's collation are one value ('a' and 'A' under NOCASE). */
    private readonly collation: Collation | undefined,
  ) {}
  add(v: unknown, more?: readonly unknown[]): void {
    this.passed = false;
    if (v === null || v === undefined) {
      // NULL is one more distinct value: only json_group_array keeps it, the others skip NULLs.
      if (!this.sawNull) {
        this.inner.add(null, more);
        this.passed = true;
      }
      this.sawNull = true;
      return;
    }
    const u = untag(v);
    const c = this.collation === undefined ? u : collationKey(u, this.collation);
    const k = primitiveKey(c);
    if (k !== null) {
      if (this.seen.has(k)) return;
      this.seen.add(k);
    } else {
      const slow = valueKey(c);
      if (this.seenOther.has(slow)) return;
      this.seenOther.add(slow);
    }
    this.inner.add(v, more);
    this.passed = true;
  }
  result(): unknown {
    return this.inner.result();
  }
}

export function makeAccumulator(
  fn: AggregateFn,
  star: boolean,
  distinct: boolean,
  argType: ValueType,
  moreTypes: readonly ValueType[] = [],
  collation?: Collation,
  /** Whether the argument (json_group_array) or the value (json_group_object) carries the JSON subtype. */
  valueMode: JsonMode = 'never',
  /** The call's ORDER BY: add() then takes the key values after the further arguments. */
  order: readonly Pick<SortKey, 'desc' | 'nulls'>[] = [],
): Accumulator {
  let acc: Accumulator;
  switch (fn) {
    case 'count':
      acc = new CountAcc(star);
      break;
    case 'sum':
    case 'total':
    case 'avg':
      acc = new SumAcc(argType, fn);
      break;
    case 'min':
      acc = new ExtremeAcc(1, collation);
      break;
    case 'max':
      acc = new ExtremeAcc(-1, collation);
      break;
    case 'group_concat':
      acc = new GroupConcatAcc(argType === 'real', moreTypes[0] === 'real', moreTypes.length > 0);
      break;
    case 'json_group_array':
      acc = new JsonGroupAcc(false, argType === 'real', valueMode, false);
      break;
    case 'json_group_object':
      acc = new JsonGroupAcc(true, moreTypes[0] === 'real', valueMode, argType === 'real');
      break;
    case 'median':
    case 'percentile':
    case 'percentile_cont':
    case 'percentile_disc':
      acc = new PercentileAcc(fn);
      break;
  }
  // DISTINCT drops repeats as they come, before the ORDER BY sorts what is left (SQLite's order:
  // of 'a' then 'A' under NOCASE, 'a' stays, whatever the sort would put first).
  const ordered = order.length > 0 ? new OrderedAcc(acc, order, moreTypes.length) : acc;
  return distinct ? new DistinctAcc(ordered, collation) : ordered;
}

/**
 * An aggregate with an ORDER BY in its call (`group_concat(x, ',' ORDER BY y DESC)`): its inputs
 * are held with their sort keys and fed to the aggregate in that order, ties in input order, when
 * the result is asked for. The inputs of a group stay in memory until then, as in SQLite's sorter.
 */
class OrderedAcc implements Accumulator {
  /** Per input: its sort keys, and the value followed by the call's further arguments. */
  private held: Keyed[] = [];
  private done = false;
  private value: unknown = null;

  constructor(
    private readonly inner: Accumulator,
    private readonly order: readonly Pick<SortKey, 'desc' | 'nulls'>[],
    /** How many of add()'s further values are the call's own arguments (the rest are keys). */
    private readonly moreCount: number,
  ) {}

  add(v: unknown, more?: readonly unknown[]): void {
    const all = more ?? [];
    this.held.push({ k: all.slice(this.moreCount), row: [v, ...all.slice(0, this.moreCount)] });
  }

  result(): unknown {
    if (this.done) return this.value;
    // Array.prototype.sort is stable: ties keep input order.
    this.held.sort(compareKeyed(this.order));
    for (const { row } of this.held) this.inner.add(row[0], this.moreCount > 0 ? row.slice(1) : undefined);
    this.held = [];
    this.done = true;
    this.value = this.inner.result();
    return this.value;
  }
}

/** The accumulator as a NumberFolder, when it is one. */
export function numberFolder(acc: Accumulator): NumberFolder | null {
  return acc instanceof SumAcc || acc instanceof CountAcc || acc instanceof ExtremeAcc ? acc : null;
}

/**
 * What the value just added to a min()/max() says about the bare columns (SQLite's skip flag,
 * inverted): load them when it set a new extreme, or when it has held no value yet (a NULL
 * before any value is not declined); not when it declined the value; null when it changes
 * nothing — not a min()/max(), or a duplicate DISTINCT dropped before the aggregate saw it.
 */
export function extremeLoads(acc: Accumulator): boolean | null {
  if (acc instanceof DistinctAcc) {
    // DISTINCT never steps its aggregate with a NULL before it holds a value.
    const inner = acc.passed ? acc.inner : null;
    return inner instanceof ExtremeAcc && inner.best !== null ? inner.improved : null;
  }
  return acc instanceof ExtremeAcc ? acc.improved || acc.best === null : null;
}

/**
 * Static result type of SUM: INTEGER over integers and booleans, REAL over REALs; over TEXT, BLOB
 * or unknown values it depends on the data (see textAsNumber), so 'any'.
 */
export function sumType(arg: ValueType): ValueType {
  if (arg === 'real' || arg === 'null') return arg;
  if (arg === 'integer' || arg === 'boolean' || arg === 'timestamp') return 'integer';
  return 'any';
}
