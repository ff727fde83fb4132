/**
 * The static type of an expression: what the compiler (compile-expr.ts) decides integer vs REAL
 * arithmetic by, and what the planner and the lowering read to choose comparisons and affinities.
 * Computed from the expression alone, before any row is seen.
 */
import type { CastTarget, Expr, ValueType } from './expr';
import { sumType } from './aggregates';
import type { PrimitiveTypeName } from '../storage/schema/descriptors';

/**
 * The column type a static expression type stores as (a column made from an expression: CREATE
 * TABLE … AS SELECT, a generated column without a declared type); absent where no one type does.
 */
export const STORED_PRIMITIVE: Readonly<Partial<Record<ValueType, PrimitiveTypeName>>> = {
  integer: 'int64',
  real: 'float64',
  text: 'string',
  blob: 'bytes',
  boolean: 'bool',
  timestamp: 'timestamp',
};

const NUMERIC: ReadonlySet<ValueType> = new Set(['integer', 'real', 'boolean', 'timestamp', 'any', 'null']);

/** Static result type of an expression. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'column':
    case 'literal':
    case 'slot':
      return e.type;
    case 'param':
      return e.outer?.type ?? 'any';
    case 'unary': {
      if (e.op === 'not' || e.op === 'bitnot') return 'integer';
      const t = typeOf(e.arg);
      // Unary + is a no-op in SQLite: it keeps text as text.
      if (e.op === 'pos') return t;
      return t === 'real' || t === 'null' ? t : NUMERIC.has(t) && t !== 'any' ? 'integer' : 'any';
    }
    case 'binary': {
      if (e.op === '||') return 'text';
      if (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%') {
        const l = typeOf(e.left);
        const r = typeOf(e.right);
        if (l === 'null' || r === 'null') return 'null';
        if (l === 'real' || r === 'real') return 'real';
        // Text and blob operands convert to INTEGER or REAL depending on their value.
        if (!NUMERIC.has(l) || !NUMERIC.has(r) || l === 'any' || r === 'any') return 'any';
        return 'integer';
      }
      return 'integer';
    }
    case 'subquery':
      return e.type;
    case 'in':
    case 'between':
    case 'like':
    case 'glob':
    case 'isNull':
      return 'integer';
    case 'cast':
      return castType(e.to, typeOf(e.arg));
    case 'collate':
      return typeOf(e.arg);
    case 'case':
      return caseType([...e.whens.map((w) => w.then), e.otherwise]);
    case 'aggregate':
      if (e.fn === 'count') return 'integer';
      if (e.fn === 'avg' || e.fn === 'total') return 'real';
      if (e.fn === 'sum') return sumType(e.arg ? typeOf(e.arg) : 'integer');
      if (e.fn === 'group_concat' || e.fn === 'json_group_array' || e.fn === 'json_group_object')
        return 'text';
      return e.arg ? typeOf(e.arg) : 'integer';
    case 'call':
      return e.type;
    case 'row':
      return 'composite';
  }
}

function castType(to: CastTarget, from: ValueType): ValueType {
  if (to === 'numeric') return from === 'integer' || from === 'real' || from === 'null' ? from : 'any';
  return from === 'null' ? 'null' : to;
}

/** One static type when every branch agrees (NULL branches aside), else 'any'. */
function caseType(branches: readonly (Expr | null)[]): ValueType {
  return sharedType(branches.map((b) => (b === null ? 'null' : typeOf(b))));
}

/**
 * The type values of `types` share, NULLs aside: 'null' when all are NULL, 'any' when they
 * differ (a CASE's branches, a VALUES column, a compound's arms).
 */
export function sharedType(types: Iterable<ValueType>): ValueType {
  let t: ValueType = 'null';
  for (const bt of types) {
    if (bt === 'null') continue;
    if (t === 'null') t = bt;
    else if (t !== bt) return 'any';
  }
  return t;
}
