/** Physical plan → indented text, one node per line, with the index and bounds each node uses. */
import type { Expr, SubqueryExpr } from './expr';
import type { Bound, PhysicalKind, PhysicalPlan, SemiJoinPNode } from './physical';
import { correlatedForm } from './scalar-decorrelate';
import type { CorrelatedForm, GroupedScalar } from './scalar-decorrelate';
import type { LogicalPlan, SortKey } from './logical';
import type { DeletePlan, UpdatePlan } from './write-plan';

const BINARY_TEXT: Readonly<Partial<Record<string, string>>> = {
  and: 'AND',
  or: 'OR',
  is: 'IS',
  isNot: 'IS NOT',
};

export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'subquery':
      return e.mode === 'scalar'
        ? e.column === undefined
          ? '(subquery)'
          : `(subquery).${e.column + 1}`
        : e.mode === 'exists'
          ? `${e.negated ? 'NOT ' : ''}EXISTS (subquery)`
          : `${e.arg ? exprText(e.arg) : 'NULL'} ${e.negated ? 'NOT IN' : 'IN'} (subquery)`;
    case 'row':
      return `(${e.items.map(exprText).join(', ')})`;
    case 'column':
      return e.name;
    case 'slot':
      return e.name;
    case 'literal':
      return e.value === null
        ? 'NULL'
        : typeof e.value === 'string'
          ? `'${e.value.replace(/'/g, "''")}'`
          : e.value instanceof Uint8Array
            ? `x'${Buffer.from(e.value).toString('hex')}'`
            : String(e.value);
    case 'param':
      if (e.outer) return `outer ${e.outer.name}`;
      return typeof e.key === 'number' ? `?${e.key + 1}` : `:${e.key}`;
    case 'unary':
      return e.op === 'not'
        ? `NOT ${exprText(e.arg)}`
        : `${e.op === 'neg' ? '-' : e.op === 'bitnot' ? '~' : '+'}${exprText(e.arg)}`;
    case 'binary':
      return `(${exprText(e.left)} ${BINARY_TEXT[e.op] ?? e.op} ${exprText(e.right)})`;
    case 'cast':
      return `CAST(${exprText(e.arg)} AS ${e.to.toUpperCase()})`;
    case 'collate':
      return `${exprText(e.arg)} COLLATE ${e.collation.toUpperCase()}`;
    case 'glob':
      return `${exprText(e.arg)} ${e.negated ? 'NOT GLOB' : 'GLOB'} ${exprText(e.pattern)}`;
    case 'case':
      return `CASE${e.base ? ` ${exprText(e.base)}` : ''}${e.whens.map((w) => ` WHEN ${exprText(w.when)} THEN ${exprText(w.then)}`).join('')}${e.otherwise ? ` ELSE ${exprText(e.otherwise)}` : ''} END`;
    case 'in':
      return `${exprText(e.arg)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map(exprText).join(', ')})`;
    case 'between':
      return `${exprText(e.arg)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${exprText(e.lo)} AND ${exprText(e.hi)}`;
    case 'like':
      return `${exprText(e.arg)} ${e.negated ? 'NOT ' : ''}${e.glob ? 'GLOB' : 'LIKE'} ${exprText(e.pattern)}${e.escape ? ` ESCAPE ${exprText(e.escape)}` : ''}`;
    case 'isNull':
      return `${exprText(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'aggregate': {
      const args = e.arg ? [e.arg, ...e.more].map(exprText).join(', ') : '*';
      const filter = e.filter ? ` FILTER (WHERE ${exprText(e.filter)})` : '';
      const order = e.orderBy
        ? ` ORDER BY ${e.orderBy.map((k) => `${exprText(k.expr)}${k.desc ? ' DESC' : ''}${k.nulls ? ` NULLS ${k.nulls.toUpperCase()}` : ''}`).join(', ')}`
        : '';
      return `${e.fn.toUpperCase()}(${e.distinct ? 'DISTINCT ' : ''}${args}${order})${filter}`;
    }
    case 'call':
      // The JSON operators are calls in the IR; shown as written.
      if (e.name === '->' || e.name === '->>')
        return `(${exprText(e.args[0])} ${e.name} ${exprText(e.args[1])})`;
      return `${e.name}(${e.args.map(exprText).join(', ')})`;
  }
}

/** A composite index scan names the index columns it uses, as SQLite's EXPLAIN QUERY PLAN does. */
function compositeScanText(n: Extract<PhysicalPlan, { kind: 'IndexRangeScan' }>): string {
  const cols = n.columns ?? [];
  const shown = cols.map((c, i) => (n.desc?.[i] ? `${c} DESC` : c));
  const terms = (n.prefix ?? []).map((k, i) =>
    i === 0 && n.prefixIn
      ? `${cols[0]} IN (${n.prefixIn.map(exprText).join(', ')})`
      : k.matchNull
        ? `${cols[i]} IS NULL`
        : `${cols[i]}=${exprText(k.expr)}`,
  );
  const at = terms.length;
  // A row-value bound shows as the row: `(a,b)>(?1,?2)`.
  const bound = (b: Bound, op: string): string => {
    if (!b.rest) return `${cols[at]}${op}${exprText(b.expr)}`;
    const values = [b.expr, ...b.rest];
    return `(${cols.slice(at, at + values.length).join(',')})${op}(${values.map(exprText).join(',')})`;
  };
  if (n.lo) terms.push(bound(n.lo, n.lo.inclusive ? '>=' : '>'));
  if (n.hi) terms.push(bound(n.hi, n.hi.inclusive ? '<=' : '<'));
  const used = terms.length > 0 ? `(${terms.join(' AND ')})` : 'range=[full]';
  return `IndexRangeScan ${n.collection} using ${n.covering ? 'covering ' : ''}${n.index ?? ''} (${shown.join(', ')}) ${used}${n.reverse ? ' reverse' : ''}`;
}

function keysText(keys: readonly SortKey[]): string {
  return keys
    .map(
      (k) =>
        `${exprText(k.expr)} ${k.desc ? 'DESC' : 'ASC'}${k.nulls ? ` NULLS ${k.nulls.toUpperCase()}` : ''}`,
    )
    .join(', ');
}

/**
 * `SemiJoin t.a IN (subquery)`, `AntiJoin t.a NOT IN (subquery) keys=[t.id] = [u.tid]` (correlated),
 * `AntiJoin NOT EXISTS keys=[t.id] = [u.tid]`: the subquery plan follows.
 */
function semiText(n: SemiJoinPNode): string {
  const not = n.kind === 'AntiJoin' ? 'NOT ' : '';
  if (n.in && n.keys.length === 1) return `${n.kind} ${exprText(n.keys[0])} ${not}IN (subquery)`;
  const keys = `keys=[${n.keys.slice(0, n.subKeys.length).map(exprText).join(', ')}] = [${n.subKeys.map(exprText).join(', ')}]`;
  if (n.in) return `${n.kind} ${exprText(n.keys[n.keys.length - 1])} ${not}IN (subquery) ${keys}`;
  return `${n.kind} ${not}EXISTS ${keys}`;
}

/** `[k1, k2]`, or `IN (subquery)` when the keys come from a subquery (shown as the child). */
function lookupKeys(n: { keys: readonly Expr[]; keysFrom?: PhysicalPlan }): string {
  return n.keysFrom ? 'IN (subquery)' : `[${n.keys.map(exprText).join(', ')}]`;
}

type Describers = { [K in PhysicalKind]: (n: Extract<PhysicalPlan, { kind: K }>) => string };

const describe: Describers = {
  PrimaryKeyLookup: (n) => `PrimaryKeyLookup ${n.collection} keys=${lookupKeys(n)}`,
  IndexLookup: (n) =>
    `IndexLookup ${n.collection} using ${n.covering ? 'covering ' : ''}${n.index}${n.unique ? ' (unique)' : ''} keys=${lookupKeys(n)}`,
  IndexRangeScan: (n) => {
    if (n.prefix && n.columns) return compositeScanText(n);
    const lo = n.lo ? `${n.lo.inclusive ? '>=' : '>'} ${exprText(n.lo.expr)}` : '';
    const hi = n.hi ? `${n.hi.inclusive ? '<=' : '<'} ${exprText(n.hi.expr)}` : '';
    const range = [lo, hi].filter(Boolean).join(' AND ') || 'full';
    return `IndexRangeScan ${n.collection} using ${n.covering ? 'covering ' : ''}${n.index ?? 'PRIMARY KEY'} range=[${range}]${n.reverse ? ' reverse' : ''}${n.distinctKeys ? ' distinct keys' : ''}`;
  },
  CollectionScan: (n) => `CollectionScan ${n.collection}`,
  SqlIndexScan: (n) => {
    const lo = n.lo ? `${n.lo.inclusive ? '>=' : '>'} ${exprText(n.lo.expr)}` : '';
    const hi = n.hi ? `${n.hi.inclusive ? '<=' : '<'} ${exprText(n.hi.expr)}` : '';
    const range = `range=[${[lo, hi].filter(Boolean).join(' AND ') || 'full'}]`;
    return `SqlIndexScan ${n.collection} using ${n.partial ? 'partial ' : ''}${n.index} ${n.key === null ? range : `key=${exprText(n.key)}`}${n.reverse ? ' reverse' : ''}`;
  },
  VirtualScan: (n) =>
    `VirtualScan ${n.source.table}${n.source.arg === null ? '' : `(${exprText(n.source.arg)})`}`,
  Values: (n) => `Values (${n.rows.length} ${n.rows.length === 1 ? 'row' : 'rows'})`,
  IndexUnion: (n) => `IndexUnion ${n.collection} (${n.inputs.length} branches)`,
  Filter: (n) => `Filter ${exprText(n.predicate)}`,
  Aggregate: (n) =>
    `Aggregate${n.groupBy.length ? ` group by ${n.groupBy.map(exprText).join(', ')}` : ''} [${n.aggregates.map(exprText).join(', ')}]${n.keyFold ? ` per distinct key of ${n.keyFold.index}` : ''}`,
  Window: (n) =>
    `Window [${n.calls.map((c) => c.text).join(', ')}]${n.keepPerPartition ? ` keeping row_number ${n.keepStrict ? '<' : '<='} ${exprText(n.keepPerPartition)} per partition` : ''}`,
  Sort: (n) => `Sort ${keysText(n.keys)}${n.presorted ? ` presorted=${n.presorted}` : ''}`,
  TopN: (n) =>
    `TopN ${keysText(n.keys)} limit=${exprText(n.limit)}${n.offset ? ` offset=${exprText(n.offset)}` : ''}${n.presorted ? ` presorted=${n.presorted}` : ''}${n.refetch ? ' late' : ''}`,
  // A join run planned out of its written order names each table once (planner/join-planner.ts).
  Project: (n) =>
    `Project ${n.columns
      .map((c) => c.name)
      .filter((x) => x !== '')
      .join(', ')}`,
  Distinct: () => 'Distinct',
  Union: (n) => (n.all ? 'Union all' : 'Union'),
  Intersect: () => 'Intersect',
  Except: () => 'Except',
  NestedLoopJoin: (n) => `NestedLoopJoin ${n.type}${n.predicate ? ` on ${exprText(n.predicate)}` : ''}`,
  HashJoin: (n) =>
    `HashJoin ${n.type} keys=[${n.leftKeys.map(exprText).join(', ')}] = [${n.rightKeys.map(exprText).join(', ')}]${n.residual ? ` residual ${exprText(n.residual)}` : ''}`,
  IndexNestedLoopJoin: (n) => {
    const using =
      n.index === null ? 'PRIMARY KEY' : `${n.index}${n.columns ? ` (${n.columns.join(', ')})` : ''}`;
    const keys = n.keys.map((k, i) => `${n.keyNames[i]}=${exprText(k)}`).join(' AND ');
    const filter = n.innerFilter ? ` filter ${exprText(n.innerFilter)}` : '';
    const residual = n.residual ? ` residual ${exprText(n.residual)}` : '';
    const anti = n.anti ? ' unmatched only' : '';
    return `IndexNestedLoopJoin ${n.type} ${n.collection} using ${using} (${keys})${filter}${residual}${anti}`;
  },
  SemiJoin: (n) => semiText(n),
  AntiJoin: (n) => semiText(n),
  Subquery: (n) => `Subquery${n.alias === null ? '' : ` ${n.alias}`}`,
  CteScan: (n) =>
    `CteScan ${n.name}${n.alias === null || n.alias === n.name ? '' : ` AS ${n.alias}`}${n.shared ? ` (computed once, ${n.shared.refs} references)` : ''}`,
  RecursiveUnion: (n) =>
    `RecursiveUnion ${n.name}${n.all ? ' all' : ''}${n.order ? ` queue ordered by ${keysText(n.order)}` : ''}`,
  WorkingTable: (n) => `WorkingTable ${n.name}`,
  TableFunction: (n) => {
    const call = `TableFunction ${n.fn}(${n.args.map(exprText).join(', ')})${n.alias === null ? '' : ` AS ${n.alias}`}`;
    const l = n.lateral;
    if (!l) return call;
    return `${call} lateral ${l.type}${l.predicate ? ` on ${exprText(l.predicate)}` : ''}`;
  },
  Limit: (n) =>
    `Limit${n.limit ? ` limit=${exprText(n.limit)}` : ''}${n.offset ? ` offset=${exprText(n.offset)}` : ''}`,
};

function children(n: PhysicalPlan): PhysicalPlan[] {
  if (n.kind === 'IndexUnion') return [...n.inputs];
  if (n.kind === 'Union' || n.kind === 'Intersect' || n.kind === 'Except') return [n.left, n.right];
  if (n.kind === 'NestedLoopJoin' || n.kind === 'HashJoin') return [n.left, n.right];
  if (n.kind === 'SemiJoin' || n.kind === 'AntiJoin') return [n.input, n.sub];
  if (n.kind === 'IndexNestedLoopJoin') return [n.outer];
  if ((n.kind === 'PrimaryKeyLookup' || n.kind === 'IndexLookup') && n.keysFrom) return [n.keysFrom];
  if (n.kind === 'RecursiveUnion') return [n.init, ...n.steps];
  if (n.kind === 'TableFunction') return n.lateral ? [n.lateral.input] : [];
  return 'input' in n ? [n.input] : [];
}

/** The subqueries under a plan's expressions, in the order met (their own plans not searched). */
function subqueriesOf(root: PhysicalPlan): SubqueryExpr[] {
  const out: SubqueryExpr[] = [];
  const seen = new Set<object>();
  const search = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || Buffer.isBuffer(v)) return;
    seen.add(v);
    const kind = (v as { kind?: unknown }).kind;
    // A semi / anti join shows its subquery as its own child, not as a Subquery #n.
    if (kind === 'SemiJoin' || kind === 'AntiJoin') {
      const n = v as SemiJoinPNode;
      for (const x of [n.input, n.sub, n.keys, n.subKeys]) search(x);
      return;
    }
    if (kind === 'subquery' && 'plan' in v) {
      const sub = v as SubqueryExpr;
      out.push(sub);
      search(sub.arg);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) search(x);
  };
  search(root);
  return out;
}

/**
 * How a correlated subquery runs (planner/scalar-decorrelate.ts): ` (correlated, grouped once,
 * hash probe keys=[c.id] = [customer_id])`, ` (correlated, per row, grouped once after many runs:
 * hash probe …)`, ` (correlated, per row, memoized)`, ` (correlated, per row)`; nothing for an
 * uncorrelated one (run once).
 */
function formText(sub: SubqueryExpr, form: CorrelatedForm): string {
  if (sub.correlated === undefined) return '';
  const probe = (g: GroupedScalar): string =>
    `hash probe keys=[${g.outer.map(exprText).join(', ')}] = [${g.inner.map(exprText).join(', ')}]`;
  if (form.kind === 'grouped') return ` (correlated, grouped once, ${probe(form.grouped)})`;
  if (form.kind === 'perRow' && form.grouped !== undefined)
    return ` (correlated, per row, grouped once after many runs: ${probe(form.grouped)})`;
  return form.kind === 'memo' ? ' (correlated, per row, memoized)' : ' (correlated, per row)';
}

/**
 * The plan as lines, root first, children indented by two spaces. With `plan` (the planner for a
 * subquery's logical plan), each subquery follows as a `Subquery #n` node over its own plan.
 */
export function explainLines(plan: PhysicalPlan, planSub?: (sub: LogicalPlan) => PhysicalPlan): string[] {
  const out: string[] = [];
  const walk = (n: PhysicalPlan, depth: number): void => {
    const line = (describe[n.kind] as (x: PhysicalPlan) => string)(n);
    out.push(`${'  '.repeat(depth)}${line}`);
    for (const c of children(n)) walk(c, depth + 1);
  };
  walk(plan, 0);
  if (planSub)
    subqueriesOf(plan).forEach((sub, i) => {
      const form = correlatedForm(sub, planSub);
      out.push(`  Subquery #${i + 1}${formText(sub, form)}`);
      const shown = form.kind === 'grouped' ? form.grouped.plan : sub.plan;
      for (const line of explainLines(planSub(shown), planSub)) out.push(`    ${line}`);
    });
  return out;
}

/**
 * `EXPLAIN UPDATE/DELETE`: the write on top (the columns an UPDATE sets, by `columnNames`), then,
 * indented, the query that finds its rows (planner/write.ts writeAccessPlan).
 */
export function explainWriteLines(
  write: UpdatePlan | DeletePlan,
  columnNames: readonly string[],
  access: PhysicalPlan,
  planSub?: (sub: LogicalPlan) => PhysicalPlan,
): string[] {
  const head =
    write.kind === 'update'
      ? `Update ${write.collection} SET ${write.sets.map((s) => columnNames[s.column]).join(', ')}`
      : `Delete ${write.collection}`;
  return [head, ...explainLines(access, planSub).map((l) => `  ${l}`)];
}

export function explain(plan: PhysicalPlan): string {
  return explainLines(plan).join('\n');
}
