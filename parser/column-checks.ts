/**
 * CHECK constraints → schema constraints. ModelVault validates values against declared
 * constraints rather than evaluating SQL, so only CHECKs with an exact constraint form are
 * accepted: `col IN ('a', 'b')` (enum), `col >= n` / `> n` / `<= n` / `< n` / `BETWEEN`
 * (min/max), `length(col)` with the same operators (min/max length), `col <> ''` (non-empty),
 * AND of those, and `col IS NULL OR <one of those>`. Anything else is a NotSupportedError.
 */
import { NotSupportedError } from '../src/errors';
import type { Constraint, TypeDescriptor } from '../storage/schema/descriptors';
import type { SqlExpr } from './sql/ast';
import { constValue, isLiteral } from './literals';

/** What a column definition is turning into while its CHECKs are applied. */
export interface ColumnShape {
  type: TypeDescriptor;
  constraints: Constraint[];
}

type Bound = '<' | '<=' | '>' | '>=';
const FLIP: Readonly<Record<Bound, Bound>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function isBound(op: string): op is Bound {
  return op === '<' || op === '<=' || op === '>' || op === '>=';
}

/** The neighbouring double: `x > n` is exactly `x >= nextDouble(n, true)` for float64 values. */
function nextDouble(x: number, up: boolean): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function toNumber(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Integer bound for an integer column: `> 2.5` → min 3, `< 2.5` → max 2. */
function integerBound(op: Bound, v: number | bigint): Constraint {
  if (typeof v === 'bigint') {
    if (op === '>=') return { min: v };
    if (op === '>') return { min: v + 1n };
    if (op === '<=') return { max: v };
    return { max: v - 1n };
  }
  if (op === '>=') return { min: Math.ceil(v) };
  if (op === '>') return { min: Math.floor(v) + 1 };
  if (op === '<=') return { max: Math.floor(v) };
  return { max: Math.ceil(v) - 1 };
}

function floatBound(op: Bound, v: number | bigint): Constraint {
  const n = toNumber(v);
  if (op === '>=') return { min: n };
  if (op === '>') return { min: nextDouble(n, true) };
  if (op === '<=') return { max: n };
  return { max: nextDouble(n, false) };
}

function lengthBound(op: Bound, v: number): Constraint {
  if (op === '>=') return { minLength: Math.max(0, Math.ceil(v)) };
  if (op === '>') return { minLength: Math.max(0, Math.floor(v) + 1) };
  if (op === '<=') return { maxLength: Math.floor(v) };
  return { maxLength: Math.ceil(v) - 1 };
}

class CheckLowering {
  constructor(
    private readonly column: string,
    private readonly shape: ColumnShape,
    private readonly check: SqlExpr,
    private readonly sql: string,
  ) {}

  private unsupported(): never {
    throw new NotSupportedError(
      `CHECK (${this.sql.slice(this.check.start, this.check.end)}): supported forms are col IN ('a', ...), ` +
        `col >= n, col > n, col <= n, col < n, col BETWEEN a AND b, the same on length(col), col <> '', and AND of those`,
      'NOT_SUPPORTED',
      { sql: this.sql, offset: this.check.start },
    );
  }

  private isSelf(e: SqlExpr): boolean {
    return e.t === 'col' && e.parts.join('.').toLowerCase() === this.column.toLowerCase();
  }

  private isLengthOfSelf(e: SqlExpr): boolean {
    return (
      e.t === 'call' &&
      e.name.toUpperCase() === 'LENGTH' &&
      !e.star &&
      e.args.length === 1 &&
      this.isSelf(e.args[0])
    );
  }

  private number(e: SqlExpr): number | bigint {
    if (!isLiteral(e)) return this.unsupported();
    const v = constValue(e, this.sql);
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    return this.unsupported();
  }

  private valueBound(op: Bound, other: SqlExpr): Constraint {
    const v = this.number(other);
    const t = this.shape.type;
    if (t === 'int64' || t === 'uint64') return integerBound(op, v);
    if (t === 'float64') return floatBound(op, v);
    return this.unsupported();
  }

  private lengthConstraint(op: Bound, other: SqlExpr): Constraint {
    if (this.shape.type !== 'string') return this.unsupported();
    return lengthBound(op, toNumber(this.number(other)));
  }

  /** `lhs op rhs` with the column (or length(column)) on either side. */
  private comparison(op: Bound, l: SqlExpr, r: SqlExpr): Constraint {
    if (this.isSelf(l)) return this.valueBound(op, r);
    if (this.isSelf(r)) return this.valueBound(FLIP[op], l);
    if (this.isLengthOfSelf(l)) return this.lengthConstraint(op, r);
    if (this.isLengthOfSelf(r)) return this.lengthConstraint(FLIP[op], l);
    return this.unsupported();
  }

  apply(e: SqlExpr = this.check): void {
    const out = this.shape.constraints;
    switch (e.t) {
      case 'in': {
        if (e.not || !this.isSelf(e.arg) || this.shape.type !== 'string') return this.unsupported();
        if (!e.list.every(isLiteral)) return this.unsupported();
        const values = e.list.map((x) => constValue(x, this.sql));
        if (values.length === 0 || !values.every((v): v is string => typeof v === 'string'))
          return this.unsupported();
        this.shape.type = { enum: [...new Set(values)] };
        return;
      }
      case 'between':
        if (e.not) return this.unsupported();
        out.push(this.comparison('>=', e.arg, e.lo), this.comparison('<=', e.arg, e.hi));
        return;
      case 'bin':
        if (isBound(e.op)) {
          out.push(this.comparison(e.op, e.l, e.r));
          return;
        }
        if (e.op === '!=' && this.shape.type === 'string') {
          const other = this.isSelf(e.l) ? e.r : this.isSelf(e.r) ? e.l : null;
          if (other && other.t === 'str' && other.value === '') {
            out.push({ nonEmpty: true });
            return;
          }
        }
        if (e.op === 'AND') {
          this.apply(e.l);
          this.apply(e.r);
          return;
        }
        // A CHECK that evaluates to NULL passes, so `col IS NULL OR p` constrains exactly like p.
        if (e.op === 'OR') {
          const nullTest = (x: SqlExpr): boolean => x.t === 'isnull' && !x.not && this.isSelf(x.arg);
          if (nullTest(e.l)) return this.apply(e.r);
          if (nullTest(e.r)) return this.apply(e.l);
        }
        return this.unsupported();
      default:
        return this.unsupported();
    }
  }
}

/** Apply one CHECK expression of column `column` to its shape (type and constraints). */
export function applyCheck(column: string, shape: ColumnShape, check: SqlExpr, sql: string): void {
  new CheckLowering(column, shape, check, sql).apply();
}

/** Column names a CHECK mentions (lower-cased dotted paths), to attach table CHECKs to a column. */
export function checkColumns(e: SqlExpr, acc: Set<string> = new Set()): Set<string> {
  switch (e.t) {
    case 'col':
      acc.add(e.parts.join('.').toLowerCase());
      break;
    case 'unary':
    case 'isnull':
      checkColumns(e.arg, acc);
      break;
    case 'bin':
      checkColumns(e.l, acc);
      checkColumns(e.r, acc);
      break;
    case 'in':
      [e.arg, ...e.list].forEach((x) => checkColumns(x, acc));
      break;
    case 'between':
      [e.arg, e.lo, e.hi].forEach((x) => checkColumns(x, acc));
      break;
    case 'like':
      [e.arg, e.pat, ...(e.esc ? [e.esc] : [])].forEach((x) => checkColumns(x, acc));
      break;
    case 'call':
      e.args.forEach((x) => checkColumns(x, acc));
      break;
    case 'row':
      e.items.forEach((x) => checkColumns(x, acc));
      break;
    default:
      break;
  }
  return acc;
}
