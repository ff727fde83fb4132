/**
 * `PRAGMA table_info(view)` / `table_xinfo(view)`: a view's columns as SQLite lists them. Names
 * come from lowering `SELECT * FROM view`; each declared type follows SQLite's rules for a
 * subquery's columns (sqlite3SubqueryColumnTypes): a column read straight from a table keeps
 * that column's declared text, and otherwise the type is named from the expression's affinity
 * ('' when it has none, 'NUM' for NUMERIC, 'BLOB' for a compound whose arms disagree).
 */
import { declaredType } from '../planner/introspect/create-sql';
import type { Expr } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import { affinityOfTypeName } from '../planner/sqlite-cast';
import type { CatalogReader, CatalogView } from './scope';

/**
 * SQLite's column affinities, 'none' for an expression that has none; 'flexnum' is the NUMERIC
 * of a compound's CAST column, which no declared type has (so its type always reads 'NUM').
 */
type Aff = 'none' | 'blob' | 'text' | 'numeric' | 'integer' | 'real' | 'flexnum';

/** What an output column of a plan is, as far as its declared type goes. */
interface Origin {
  readonly expr: Expr;
  /** The plan `expr`'s columns refer to. */
  readonly input: LogicalPlan;
}

/**
 * The rows `table_info` (`extended`: `table_xinfo`) shows for `view`: cid, name, type, notnull 0,
 * dflt NULL, pk 0 (and hidden 0).
 */
export function viewColumnRows(
  view: CatalogView,
  catalog: CatalogReader,
  lowerSelectAll: (name: string) => { names: readonly string[]; plan: LogicalPlan },
  extended: boolean,
): unknown[][] {
  const { names, plan } = lowerSelectAll(view.name);
  // `SELECT * FROM v` reads the view as a derived table; its columns are the view body's own,
  // typed from the body's first arm (not its last, as a subquery's are).
  const body = plan.kind === 'project' && plan.input.kind === 'derived' ? plan.input.plan : plan;
  const types = new DeclTypes(catalog);
  return names.map((name, cid) => {
    const row: unknown[] = [cid, name, types.ofOutput(body, cid), 0, null, 0];
    if (extended) row.push(0);
    return row;
  });
}

class DeclTypes {
  constructor(private readonly catalog: CatalogReader) {}

  /** The declared type SQLite gives output column `i` of `plan` (a view's or a derived table's). */
  ofOutput(plan: LogicalPlan, i: number): string {
    return this.column(plan, i).type;
  }

  /** Output column `i` of `plan` as sqlite3SubqueryColumnTypes makes it: affinity and type name. */
  private column(plan: LogicalPlan, i: number): { aff: Aff; type: string } {
    const arms = armsOf(plan);
    const first = outputOf(arms[0], i);
    if (first === null) return { aff: 'none', type: '' };
    // SQLite 3.43+: an arm without affinity takes the next arm's, noting what kinds of value
    // the arms passed over may hold; the arms after the one settled on are noted too.
    let aff = this.affinity(first);
    let m = 0;
    let k = 0;
    while (aff === 'none' && k + 1 < arms.length) {
      m |= this.dataTypeOf(arms[k], i);
      k++;
      const o = outputOf(arms[k], i);
      aff = o === null ? 'none' : this.affinity(o);
    }
    if (rank(aff) >= rank('text') && arms.length > 1) {
      for (const arm of arms.slice(k + 1)) m |= this.dataTypeOf(arm, i);
      if (aff === 'text' && (m & 0x01) !== 0) aff = 'blob';
      else if (rank(aff) >= rank('numeric') && (m & 0x02) !== 0) aff = 'blob';
      if (rank(aff) >= rank('numeric') && first.expr.kind === 'cast') aff = 'flexnum';
    }
    const declared = this.columnType(first);
    if (declared !== null && affinityOfTypeName(declared) === aff) return { aff, type: declared };
    return { aff, type: TYPE_NAMES[aff] };
  }

  /** SQLite's columnType(): the declared text of a column read straight from a table, else null. */
  private columnType(o: Origin): string | null {
    // Unlike the affinity, a COLLATE in front of a column hides its declared type (as in SQLite).
    const e = o.expr;
    if (e.kind === 'slot') {
      const key = groupKey(o.input, e.index);
      return key === null ? null : this.columnType(key);
    }
    if (e.kind === 'subquery') {
      if (e.mode !== 'scalar') return null;
      const first = innerOutput(e.plan, 0);
      return first === null ? null : this.columnType(first);
    }
    if (e.kind !== 'column' || e.sub.length > 0) return null;
    const source = this.source(o.input, e.column);
    if (source === null) return null;
    if ('declared' in source) return source.declared;
    const inner = innerOutput(source.plan, source.index);
    return inner === null ? null : this.columnType(inner);
  }

  /** sqlite3ExprAffinity. */
  private affinity(o: Origin): Aff {
    const e = stripCollate(o.expr);
    switch (e.kind) {
      case 'cast':
        return e.to;
      case 'slot': {
        const key = groupKey(o.input, e.index);
        return key === null ? 'none' : this.affinity(key);
      }
      case 'subquery': {
        if (e.mode !== 'scalar') return 'none';
        const first = innerOutput(e.plan, 0);
        return first === null ? 'none' : this.affinity(first);
      }
      case 'column': {
        if (e.sub.length > 0) return 'none';
        const source = this.source(o.input, e.column);
        if (source === null) return 'none';
        if ('declared' in source) return affinityOfTypeName(source.declared);
        return this.ofDerived(source.plan, source.index);
      }
      default:
        return 'none';
    }
  }

  /** The affinity of a derived table's column (a view or subquery read in FROM). */
  private ofDerived(plan: LogicalPlan, i: number): Aff {
    return this.column(plan, i).aff;
  }

  private dataTypeOf(arm: LogicalPlan, i: number): number {
    const o = outputOf(arm, i);
    return o === null ? 0x07 : this.dataType(o);
  }

  /** sqlite3ExprDataType: bit 0x01 numeric, 0x02 text, 0x04 blob — which kinds a value may be. */
  private dataType(o: Origin): number {
    const e = stripCollate(o.expr);
    switch (e.kind) {
      case 'literal':
        if (e.value === null) return 0x00;
        if (typeof e.value === 'string') return 0x02;
        if (e.value instanceof Uint8Array) return 0x04;
        return 0x01;
      case 'param':
      case 'aggregate':
      case 'call':
        return 0x07;
      case 'column':
      case 'subquery':
      case 'cast': {
        const aff = this.affinity(o);
        if (rank(aff) >= rank('numeric')) return 0x05;
        if (aff === 'text') return 0x06;
        return 0x07;
      }
      case 'binary':
        return e.op === '||' ? 0x06 : 0x01;
      case 'case': {
        let m = 0;
        for (const w of e.whens) m |= this.dataType({ expr: w.then, input: o.input });
        m |= e.otherwise === null ? 0x00 : this.dataType({ expr: e.otherwise, input: o.input });
        return m;
      }
      default:
        return 0x01;
    }
  }

  /** Where column `i` of `plan`'s rows comes from: a table column, a derived table's column, or unknown. */
  private source(
    plan: LogicalPlan,
    i: number,
  ): { declared: string } | { plan: LogicalPlan; index: number } | null {
    switch (plan.kind) {
      case 'scan': {
        const field = this.catalog.collection(plan.collection)?.schema.fields[i];
        return field ? { declared: declaredType(field) } : null;
      }
      case 'filter':
      case 'sort':
      case 'distinct':
      case 'limit':
        return this.source(plan.input, i);
      case 'aggregate':
      case 'window':
        return i < plan.inputWidth ? this.source(plan.input, i) : null;
      case 'join':
        return i < plan.leftWidth ? this.source(plan.left, i) : this.source(plan.right, i - plan.leftWidth);
      case 'derived':
        return { plan: plan.plan, index: i };
      case 'tableFunction':
        // json_each's columns are declared without a type, which SQLite shows as BLOB.
        return { declared: 'BLOB' };
      default:
        return null;
    }
  }
}

/**
 * A GROUP BY key read through its slot above the aggregate (SQLite sees the grouped column
 * itself there), or null for an aggregate's result and any other slot.
 */
function groupKey(plan: LogicalPlan, slot: number): Origin | null {
  switch (plan.kind) {
    case 'filter':
    case 'sort':
    case 'distinct':
    case 'limit':
    case 'window':
      return groupKey(plan.input, slot);
    case 'aggregate': {
      const expr = plan.groupBy[slot - plan.inputWidth];
      return expr === undefined ? null : { expr, input: plan.input };
    }
    default:
      return null;
  }
}

/** The SELECT arms of a plan, leftmost first (one unless it is a compound). */
function armsOf(plan: LogicalPlan): LogicalPlan[] {
  switch (plan.kind) {
    case 'compound':
      return [...armsOf(plan.left), ...armsOf(plan.right)];
    case 'sort':
    case 'limit':
    case 'distinct':
      return plan.input.kind === 'compound' ? armsOf(plan.input) : [plan];
    default:
      return [plan];
  }
}

/**
 * Column `i` of a subquery or derived table as SQLite's columnType and affinity see it: through
 * the Select object the subquery points at, which for a compound is its last (rightmost) arm.
 */
function innerOutput(plan: LogicalPlan, i: number): Origin | null {
  const arms = armsOf(plan);
  return outputOf(arms[arms.length - 1], i);
}

/** Output column `i` of one SELECT arm: its expression and the plan that expression reads. */
function outputOf(plan: LogicalPlan, i: number): Origin | null {
  switch (plan.kind) {
    case 'project': {
      const c = plan.columns[i];
      return c ? { expr: c.expr, input: plan.input } : null;
    }
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'filter':
      return outputOf(plan.input, i);
    default:
      return null;
  }
}

function stripCollate(e: Expr): Expr {
  return e.kind === 'collate' ? stripCollate(e.arg) : e;
}

/** The type named from an affinity when no declared type fits it (SQLite's sqlite3StdType). */
const TYPE_NAMES: Readonly<Record<Aff, string>> = {
  none: '',
  blob: 'BLOB',
  text: 'TEXT',
  numeric: 'NUM',
  integer: 'INT',
  real: 'REAL',
  flexnum: 'NUM',
};

/** SQLite's affinity order: NONE < BLOB < TEXT < NUMERIC < INTEGER < REAL < FLEXNUM. */
function rank(a: Aff): number {
  return ['none', 'blob', 'text', 'numeric', 'integer', 'real', 'flexnum'].indexOf(a);
}
