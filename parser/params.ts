/**
 * Parameter collection: turns each parameter in the text into a ParamExpr key and describes what
 * must be bound (ParamInfo). Positional `?`s are numbered by their order in the text (the parser
 * assigns that), not by the order the lowering happens to visit them, so `LIMIT ?, ?` binds
 * offset then limit like SQLite.
 */
import { ProgrammingError } from '../src/errors';
import type { ParamInfo, SelectStmt } from './ir';
import type { QueryAst } from './sql/ast';
import type { SharedCte } from '../planner/logical';
import type { Expr } from '../planner/expr';
import type { DerivedColumn, Scope } from './join-scope';
import type { LogicalPlan } from '../planner/logical';

export interface OuterFrame {
  readonly scope: Scope | null;
  readonly refs: { key: string; expr: Expr }[];
}

/** A CTE in scope while a statement is lowered (parser/lower-cte.ts). */
export interface CteEntry {
  readonly name: string;
  readonly columns: readonly string[] | null;
  readonly query: QueryAst;
  /** Length of the CTE stack at the end of its WITH clause: the CTEs its body can see. */
  readonly visible: number;
  /** Its body is being lowered: reading it again is a circular reference. */
  lowering: boolean;
  /** Set while the FROM of a recursive arm is lowered: the self-reference reads the working table. */
  working: {
    readonly id: number;
    readonly depth: number;
    refs: number;
    readonly columns: DerivedColumn[];
  } | null;
  /** A view read like a CTE (parser/lower-view.ts): SQLite words its errors differently. */
  readonly view?: boolean;
  /** Declared NOT MATERIALIZED: every reference expands the body. */
  readonly notMaterialized?: boolean;
  /** The body shared by every reference (set by the first, when it may be computed once). */
  shared?: { readonly body: CteBody; readonly info: SharedCte };
}

/** A CTE's body lowered for one reference: its plan and its columns (named by the column list). */
export interface CteBody {
  readonly plan: LogicalPlan;
  readonly columns: readonly DerivedColumn[];
}

/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER. */
const MAX_PARAM_NUMBER = 32766;

export class ParamCollector {
  private style: ParamInfo['style'] = 'none';
  private positional = 0;
  private maxNumbered = 0;
  private readonly names: string[] = [];
  /**
   * Lowers the query of a subquery against the statement's catalog. It rides on the collector
   * because every expression context already carries it; null where subqueries are not allowed.
   */
  queryLowerer: ((query: QueryAst, asTable?: boolean) => SelectStmt) | null = null;
  /**
   * The queries enclosing the subquery being lowered, innermost last: a name the subquery's own
   * FROM does not have resolves in them (a correlated subquery), and each frame collects the
   * outer columns its subquery must bind per row.
   */
  readonly outerFrames: OuterFrame[] = [];
  /** CTEs in scope, innermost WITH last (a new array per WITH, so saved copies stay valid). */
  ctes: CteEntry[] = [];
  /** How many query lowerings deep the lowering is (a subquery or CTE body is one deeper). */
  nestDepth = 0;
  /**
   * `table_info` / `table_xinfo` rows of the view `name` (null when it names no view, or names a
   * table too: tables win, as in SQLite); set by lowerStatement.
   */
  viewInfo: ((name: string, extended: boolean) => unknown[][] | null) | null = null;
  /** Every view's name (CatalogReader.viewNames). */
  viewNames: (() => string[]) | null = null;
  /** The connection's TEMP views (CatalogReader.tempViews). */
  tempViews: (() => { name: string; sql: string }[]) | null = null;
  /** Told when the statement reads sqlite_master (`main`) or sqlite_temp_master (`temp`). */
  schemaTableRead: ((schema: 'main' | 'temp') => void) | null = null;
  /** Told which table or index a catalog PRAGMA reads (and the schema it names, if any). */
  catalogObjectRead: ((name: string, schema: 'main' | 'temp' | null) => void) | null = null;
  /** Lowers a CTE's body for a reference to it; set with queryLowerer. */
  cteLowerer: ((entry: CteEntry) => CteBody) | null = null;
  /** Lower-cased names of the views being expanded (a view that reads itself is an error). */
  readonly viewsLowering = new Set<string>();
  /** The views this statement reads, by lower-cased name: every reference shares one entry (and body). */
  readonly viewEntries = new Map<string, CteEntry>();

  constructor(private readonly sql: string) {}

  /** The ParamExpr key for parameter text `spec`; `ordinal` is a bare `?`'s position in the text. */
  key(spec: string, ordinal: number): number | string {
    if (spec === '?') {
      this.use('positional', spec);
      this.positional = Math.max(this.positional, ordinal + 1);
      return ordinal;
    }
    if (spec.startsWith('?')) {
      const n = Number(spec.slice(1));
      if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PARAM_NUMBER)
        throw new ProgrammingError(
          `parameter ${spec} is out of range (1..${MAX_PARAM_NUMBER})`,
          'PARAMETER',
          { sql: this.sql },
        );
      this.use('numbered', spec);
      this.maxNumbered = Math.max(this.maxNumbered, n);
      return n - 1;
    }
    this.use('named', spec);
    // `:a`, `@a` and `$a` all bind the key `a`, so they are one parameter.
    const name = spec.slice(1);
    if (!this.names.includes(name)) this.names.push(name);
    return name;
  }

  private use(style: ParamInfo['style'], spec: string): void {
    if (this.style !== 'none' && this.style !== style) {
      throw new ProgrammingError(
        `parameters of different styles (${this.style} and ${style}, at ${spec}) cannot be mixed in one statement`,
        'PARAMETER',
        { sql: this.sql },
      );
    }
    this.style = style;
  }

  info(): ParamInfo {
    return {
      style: this.style,
      count: this.style === 'numbered' ? this.maxNumbered : this.positional,
      names: [...this.names],
    };
  }
}
