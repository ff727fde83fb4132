/**
 * Window function calls as the logical and physical Window nodes carry them: each call has its
 * own partitioning, ordering and frame (calls with equal specifications share one sort when they
 * run, planner/window-exec.ts). A call's value lands in a slot after the input row's columns.
 */
import type { AggregateExpr, Expr, ValueType } from './expr';
import type { SortKey } from './logical';

/** The built-in (non-aggregate) window functions. */
export type WindowBuiltin =
  | 'row_number'
  | 'rank'
  | 'dense_rank'
  | 'percent_rank'
  | 'cume_dist'
  | 'ntile'
  | 'lag'
  | 'lead'
  | 'first_value'
  | 'last_value'
  | 'nth_value';

export interface FrameBound {
  readonly kind: 'unboundedPreceding' | 'preceding' | 'currentRow' | 'following' | 'unboundedFollowing';
  /** `n PRECEDING` / `n FOLLOWING`: a constant (literal or parameter) checked when the query runs. */
  readonly offset: Expr | null;
}

export interface WindowFrame {
  readonly unit: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  readonly end: FrameBound;
  readonly exclude: 'noOthers' | 'currentRow' | 'group' | 'ties';
}

export interface WindowSpec {
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortKey[];
  readonly frame: WindowFrame;
}

interface WindowCallBase {
  readonly spec: WindowSpec;
  /** Static type of the call's values (its slot's type). */
  readonly type: ValueType;
  /** The call as written, for explain(). */
  readonly text: string;
}

export type WindowCall =
  | (WindowCallBase & {
      readonly kind: 'builtin';
      readonly fn: WindowBuiltin;
      readonly args: readonly Expr[];
    })
  /** An aggregate over the frame; its FILTER applies per row as in a plain aggregate. */
  | (WindowCallBase & { readonly kind: 'aggregate'; readonly agg: AggregateExpr });

/** SQLite's default frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (peers included). */
export const DEFAULT_FRAME: WindowFrame = {
  unit: 'range',
  start: { kind: 'unboundedPreceding', offset: null },
  end: { kind: 'currentRow', offset: null },
  exclude: 'noOthers',
};

/** Every expression a call reads (arguments, partition and order keys, frame offsets). */
export function windowCallExprs(c: WindowCall): Expr[] {
  const own = c.kind === 'builtin' ? [...c.args] : [c.agg];
  const { partitionBy, orderBy, frame } = c.spec;
  const offsets = [frame.start.offset, frame.end.offset].filter((x): x is Expr => x !== null);
  return [...own, ...partitionBy, ...orderBy.map((k) => k.expr), ...offsets];
}

/** The call with every expression passed through `f` (group keys → slots after an Aggregate). */
export function mapWindowCall(c: WindowCall, f: (e: Expr) => Expr): WindowCall {
  const spec: WindowSpec = {
    partitionBy: c.spec.partitionBy.map(f),
    orderBy: c.spec.orderBy.map((k) => ({ ...k, expr: f(k.expr) })),
    frame: c.spec.frame,
  };
  if (c.kind === 'builtin') return { ...c, args: c.args.map(f), spec };
  const a = c.agg;
  const agg: AggregateExpr = {
    ...a,
    arg: a.arg && f(a.arg),
    more: a.more.map(f),
    filter: a.filter && f(a.filter),
  };
  return { ...c, agg, spec };
}

/** Whether two specifications sort and frame alike (calls over them share one pass). */
export function sameSpecKey(spec: WindowSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
