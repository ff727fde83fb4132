/**
 * Filters on a TEXT column tested on the scan memo's code vectors (storage/string-codes.ts): a
 * conjunct that reads one TEXT column and nothing else that varies by row (`status = ?`,
 * `name LIKE 'A%'`, `lower(city) IN ('oslo', 'bergen')`, `note IS NULL`) is a function of that
 * column's value, so it is decided once per distinct string, through the same compiled predicate
 * the row path runs, and the verdict is looked up by code for every row after that.
 */
import type { StringCodes } from '../storage/string-codes';
import { compilePredicate } from './compile-expr';
import type { ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import { exprChildren } from './expr';
import { scalarFunction } from './functions';

/**
 * The TEXT column `e` reads when it reads that one top-level column and is otherwise constant per
 * execution (literals, parameters, deterministic functions); null for anything else.
 */
export function textColumnOf(e: Expr): number | null {
  return onlyColumnOf(e, 'text');
}

/**
 * The column of type `type` `e` reads when it reads that one top-level column and is otherwise
 * constant per execution (literals, parameters, deterministic functions): `e` is then a function
 * of that column's value, which may be decided once per distinct value (here for TEXT codes,
 * planner/key-fold.ts for an index's keys). Null for anything else.
 */
export function onlyColumnOf(e: Expr, type: 'text' | 'integer'): number | null {
  let column: number | null = null;
  const walk = (x: Expr): boolean => {
    switch (x.kind) {
      case 'column':
        if (x.type !== type || x.sub.length !== 0 || x.jsonTypeAt !== undefined) return false;
        if (column !== null && column !== x.column) return false;
        column = x.column;
        return true;
      case 'slot':
      case 'aggregate':
      case 'subquery':
        return false;
      case 'call':
        if (scalarFunction(x.name)?.deterministic !== true) return false;
        break;
      default:
        break;
    }
    return exprChildren(x).every(walk);
  };
  return walk(e) ? column : null;
}

/** Verdicts not decided yet, and the two a string can get. */
const UNKNOWN = 0;
const PASSES = 1;
const FAILS = 2;

/**
 * The membership an `in` term tests on a code vector (planner/number-tests.ts NumberSet): a code
 * is in the set when the conjunct accepts its string, decided on first sight and remembered for
 * this execution (its parameters are fixed). NaN, NULL, is in it when the conjunct accepts NULL
 * (`x IS NULL`), unlike a set of numbers.
 */
export class CodeSet {
  private verdicts = new Uint8Array(64);
  /** NULL's verdict, decided on first sight too: the conjunct may raise, and only for rows it sees. */
  private nullVerdict = UNKNOWN;
  private readonly pred: (row: Row) => boolean;
  private readonly row: unknown[];

  constructor(
    readonly codes: StringCodes,
    private readonly column: number,
    /** null: a column read, not tested (an 'any' term's: membership is never asked). */
    conjunct: Expr | null,
    ctx: ExecContext | null,
  ) {
    this.pred = conjunct && ctx ? compilePredicate(conjunct, ctx) : () => true;
    this.row = new Array<unknown>(column + 1).fill(null);
  }

  has(v: number): boolean {
    if (v !== v) {
      if (this.nullVerdict === UNKNOWN) this.nullVerdict = this.decide(null) ? PASSES : FAILS;
      return this.nullVerdict === PASSES;
    }
    const known = v < this.verdicts.length ? this.verdicts[v] : UNKNOWN;
    if (known !== UNKNOWN) return known === PASSES;
    const passes = this.decide(this.codes.strings[v]);
    if (v >= this.verdicts.length) {
      const grown = new Uint8Array(Math.max(2 * this.verdicts.length, v + 1));
      grown.set(this.verdicts);
      this.verdicts = grown;
    }
    this.verdicts[v] = passes ? PASSES : FAILS;
    return passes;
  }

  /** The value a code stands for (NaN: NULL), for a row rebuilt from vectors. */
  stringOf(v: number): string | null {
    return v !== v ? null : this.codes.strings[v];
  }

  private decide(value: string | null): boolean {
    this.row[this.column] = value;
    return this.pred(this.row);
  }
}
