/**
 * Recursive-descent parser for the SQL subset (SPEC §7 Tier 1): one statement, optional
 * trailing semicolons. Valid SQL outside the subset (triggers, ATTACH,
 ...) is a NotSupportedError naming the construct; anything malformed is a
 * QueryError (code SYNTAX) with line, column and offset. Expressions are in parse-expr.ts,
 * DDL in parse-ddl.ts.
 */
import { ProgrammingError, QueryError } from '../../src/errors';
import { sqlText, syntaxError, tokenize } from './lexer';
import type {
  CompoundAst,
  CompoundOp,
  ConflictPolicyAst,
  CteAst,
  FromAst,
  FromSourceAst,
  IndexHintAst,
  InsertSource,
  JoinAst,
  JoinKind,
  OrderItem,
  QueryAst,
  SelectAst,
  SelectItem,
  SetClause,
  SqlExpr,
  StatementAst,
  UpsertClause,
  ValuesArmAst,
  WithAst,
} from './ast';
import { CONFLICT_POLICIES } from './ast';
import { ExprParser } from './parse-expr';
import { MAX_COLUMNS } from './token-stream';
import { parseAlter, parseCreate, parseDrop } from './parse-ddl';
import { parsePragma } from './parse-pragma';
import { nullsOrder, parseWindowClause } from './parse-window';

const COMPOUND_WORDS = ['UNION', 'EXCEPT', 'INTERSECT'];
const JOIN_WORDS = ['JOIN', 'LEFT', 'RIGHT', 'INNER', 'CROSS', 'NATURAL', 'FULL'];
/** Words that start a statement: after a complete statement they mean a second one. */
const STATEMENT_WORDS = [
  'SELECT',
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'ALTER',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'EXPLAIN',
  'WITH',
  'SAVEPOINT',
  'RELEASE',
  'PRAGMA',
  'ANALYZE',
  'REINDEX',
];
const UNSUPPORTED_STATEMENTS = ['ATTACH', 'DETACH'];
/** SQLite's limits: terms of one compound SELECT, terms of one FROM clause, tables in one join. */
const MAX_COMPOUND_TERMS = 500;
const MAX_FROM_TERMS = 200;
const MAX_JOIN_TABLES = 64;

class StatementParser extends ExprParser {
  statement(): StatementAst {
    const t = this.tok;
    if (t.kind === 'eof' || this.isOp(';')) throw this.error('empty statement');
    if (t.kind !== 'ident') throw this.error('expected a statement keyword');
    const stmt = this.dispatch(t.upper, t.text);
    let terminated = false;
    while (this.acceptOp(';')) terminated = true;
    if (this.tok.kind !== 'eof') {
      throw terminated || this.isAnyWord(STATEMENT_WORDS)
        ? syntaxError(this.sql, this.tok.start, 'only one statement can be executed at a time')
        : this.error('unexpected text after the end of the statement');
    }
    return stmt;
  }

  private dispatch(word: string, text: string): StatementAst {
    switch (word) {
      case 'SELECT':
        return this.select();
      case 'EXPLAIN':
        this.i++;
        if (this.acceptWord('QUERY')) this.expectWord('PLAN');
        if (this.isWord('WITH')) {
          const stmt = this.withStatement();
          if (stmt.t !== 'select' && stmt.t !== 'compound')
            throw this.unsupported('EXPLAIN of WITH … INSERT, UPDATE or DELETE');
          return { t: 'explain', select: stmt };
        }
        if (this.isWord('UPDATE')) return { t: 'explainWrite', write: this.update() };
        if (this.isWord('DELETE')) return { t: 'explainWrite', write: this.delete() };
        if (!this.isWord('SELECT'))
          throw this.unsupported('EXPLAIN of anything but SELECT, UPDATE or DELETE');
        return { t: 'explain', select: this.select() };
      case 'INSERT':
      case 'REPLACE':
        return this.insert();
      case 'UPDATE':
        return this.update();
      case 'DELETE':
        return this.delete();
      case 'CREATE':
        return parseCreate(this, () => (this.isWord('SELECT') ? this.select() : this.query()));
      case 'DROP':
        return parseDrop(this);
      case 'ALTER':
        return parseAlter(this);
      case 'BEGIN':
        this.i++;
        if (this.isAnyWord(['DEFERRED', 'IMMEDIATE', 'EXCLUSIVE'])) this.i++;
        this.acceptWord('TRANSACTION');
        return { t: 'begin' };
      case 'COMMIT':
      case 'END':
        this.i++;
        this.acceptWord('TRANSACTION');
        return { t: 'commit' };
      case 'ROLLBACK':
        this.i++;
        this.acceptWord('TRANSACTION');
        if (this.acceptWord('TO')) {
          this.acceptWord('SAVEPOINT');
          return { t: 'rollbackTo', name: this.name('a savepoint name') };
        }
        return { t: 'rollback' };
      case 'SAVEPOINT':
        this.i++;
        return { t: 'savepoint', name: this.name('a savepoint name') };
      case 'RELEASE':
        this.i++;
        this.acceptWord('SAVEPOINT');
        return { t: 'release', name: this.name('a savepoint name') };
      case 'WITH':
        return this.withStatement();
      case 'VALUES':
        return this.values();
      case 'PRAGMA':
        return parsePragma(this);
      case 'VACUUM': {
        this.i++;
        const schema = this.atName() && !this.isWord('INTO') ? this.name('a schema name') : null;
        return { t: 'vacuum', schema, into: this.acceptWord('INTO') ? this.expr() : null };
      }
      case 'ANALYZE':
      case 'REINDEX': {
        // `ANALYZE [schema | [schema.]table-or-index]` and `REINDEX [collation | [schema.]table-or-index]`.
        const t = word === 'ANALYZE' ? 'analyze' : 'reindex';
        this.i++;
        if (this.tok.kind === 'eof' || this.isOp(';')) return { t, schema: null, name: null };
        const first = this.name('a table or index name');
        if (!this.acceptOp('.')) return { t, schema: null, name: first };
        return { t, schema: first, name: this.name('a table or index name') };
      }
    }
    if (UNSUPPORTED_STATEMENTS.includes(word)) throw this.unsupported(word);
    throw this.error(`unknown statement '${text}'`);
  }

  protected override query(): QueryAst {
    if (this.isWord('WITH')) {
      const w = this.withClause();
      return { ...this.query(), with: w };
    }
    if (!this.acceptWord('VALUES')) return this.select();
    const rows = this.valueRows();
    if (this.isAnyWord(COMPOUND_WORDS)) return this.compound({ t: 'values', rows });
    // A lone VALUES is a one-arm compound: QueryAst has no bare VALUES form.
    return { t: 'compound', arms: [{ t: 'values', rows }], ops: [], orderBy: [], limit: null, offset: null };
  }

  /** `WITH …` then a query, INSERT, UPDATE or DELETE, which carries the clause. */
  private withStatement(): StatementAst {
    const w = this.withClause();
    if (this.isAnyWord(['SELECT', 'VALUES'])) return { ...this.query(), with: w };
    if (this.isAnyWord(['INSERT', 'REPLACE'])) return { ...this.insert(), with: w } as StatementAst;
    if (this.isWord('UPDATE')) return { ...this.update(), with: w } as StatementAst;
    if (this.isWord('DELETE')) return { ...this.delete(), with: w } as StatementAst;
    throw this.error('expected SELECT, VALUES, INSERT, UPDATE or DELETE after the WITH clause');
  }

  /** `WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query), …`. */
  private withClause(): WithAst {
    this.expectWord('WITH');
    const recursive = this.acceptWord('RECURSIVE');
    const ctes: CteAst[] = [];
    do {
      const start = this.tok.start;
      const name = this.name('a table name');
      let columns: string[] | null = null;
      if (this.acceptOp('(')) {
        columns = [];
        do columns.push(this.name('a column name'));
        while (this.acceptOp(','));
        this.expectOp(')');
      }
      this.expectWord('AS');
      // NOT MATERIALIZED: expanded where it is read even when read twice (planner/logical.ts SharedCte).
      let notMaterialized = false;
      if (this.acceptWord('NOT')) {
        this.expectWord('MATERIALIZED');
        notMaterialized = true;
      } else this.acceptWord('MATERIALIZED');
      this.expectOp('(');
      const query = this.query();
      this.expectOp(')');
      ctes.push({
        name,
        columns,
        query,
        start,
        end: this.prev.end,
        ...(notMaterialized ? { notMaterialized } : {}),
      });
    } while (this.acceptOp(','));
    return { recursive, ctes };
  }

  /** A SELECT, or a compound of SELECT / VALUES arms, with the ORDER BY and LIMIT that end it. */
  private select(): QueryAst {
    const first = this.selectCore();
    if (this.isAnyWord(COMPOUND_WORDS)) return this.compound(first);
    const orderBy = this.orderBy();
    const { limit, offset } = this.limit();
    this.refuseLateCompound(orderBy.length > 0);
    return { ...first, orderBy, limit, offset };
  }

  /** `op arm op arm … [ORDER BY …] [LIMIT …]` after the first arm, joined left to right. */
  private compound(first: SelectAst | ValuesArmAst): CompoundAst {
    const arms = [first];
    const ops: CompoundOp[] = [];
    while (this.isAnyWord(COMPOUND_WORDS)) {
      const word = this.next().upper;
      ops.push(word === 'UNION' && this.acceptWord('ALL') ? 'UNION ALL' : (word as CompoundOp));
      if (this.isWord('SELECT')) arms.push(this.selectCore());
      else if (this.acceptWord('VALUES')) arms.push({ t: 'values', rows: this.valueRows() });
      else throw this.error('expected SELECT or VALUES');
      // SQLite's SQLITE_MAX_COMPOUND_SELECT: a longer chain is refused, not planned.
      if (arms.length > MAX_COMPOUND_TERMS)
        throw new QueryError('too many terms in compound SELECT', 'QUERY', {
          sql: this.sql,
          offset: this.prev.start,
        });
    }
    // SQLite's grammar ends a compound whose last arm is VALUES there: no ORDER BY or LIMIT.
    if (arms[arms.length - 1].t === 'values' && (this.isWord('ORDER') || this.isWord('LIMIT')))
      throw this.error(`${this.tok.upper} after a VALUES arm of a compound SELECT`);
    const orderBy = this.orderBy();
    const { limit, offset } = this.limit();
    this.refuseLateCompound(orderBy.length > 0);
    return { t: 'compound', arms, ops, orderBy, limit, offset };
  }

  /** SQLite's words for an ORDER BY or LIMIT that ends an arm instead of the whole compound. */
  private refuseLateCompound(ordered: boolean): void {
    if (!this.isAnyWord(COMPOUND_WORDS)) return;
    const op = this.tok.upper === 'UNION' && this.isWord('ALL', this.peek()) ? 'UNION ALL' : this.tok.upper;
    throw this.error(`${ordered ? 'ORDER BY' : 'LIMIT'} clause should come after ${op} not before`);
  }

  /** SELECT … [FROM] [WHERE] [GROUP BY] [HAVING]: one arm, without ORDER BY or LIMIT. */
  private selectCore(): SelectAst {
    this.expectWord('SELECT');
    let distinct = false;
    if (this.acceptWord('DISTINCT')) distinct = true;
    else this.acceptWord('ALL');
    const items: SelectItem[] = [];
    do items.push(this.selectItem());
    while (this.acceptOp(','));
    let table: string | null = null;
    let tableArgs: readonly SqlExpr[] | undefined;
    let tableAlias: string | null = null;
    let tableHint: IndexHintAst | undefined;
    let from: FromAst | undefined;
    // Without FROM the select list is evaluated over one row of no columns.
    if (this.acceptWord('FROM')) {
      const list = this.fromList();
      if (list.joins.length === 0 && list.first.t === 'table') {
        table = list.first.name;
        tableArgs = list.first.args;
        tableAlias = list.first.alias;
        tableHint = list.first.hint;
      } else from = list;
    }
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    const groupBy: SqlExpr[] = [];
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY');
      do groupBy.push(this.expr());
      while (this.acceptOp(','));
      if (groupBy.length > MAX_COLUMNS)
        throw this.limitError('too many terms in GROUP BY clause', groupBy[0].start);
    }
    const having = this.acceptWord('HAVING') ? this.expr() : null;
    const windows = parseWindowClause(this);
    return {
      t: 'select',
      distinct,
      items,
      table,
      ...(tableArgs ? { tableArgs } : {}),
      tableAlias,
      ...(tableHint ? { tableHint } : {}),
      ...(from ? { from } : {}),
      where,
      groupBy,
      having,
      ...(windows.length ? { windows } : {}),
      orderBy: [],
      limit: null,
      offset: null,
    };
  }

  /** The sources of a FROM clause (after the FROM keyword): SELECT's and UPDATE … FROM's. */
  private fromList(): FromAst {
    let first = this.fromSource();
    const joins: JoinAst[] = [];
    // SQLite reads a leading parenthesized join without alias as if written without parentheses.
    if (first.t === 'group' && first.alias === null) {
      joins.push(...first.from.joins);
      first = first.from.first;
    }
    for (;;) {
      const join = this.joinOperator();
      if (join === null) break;
      const source = this.fromSource();
      let on: SqlExpr | null = null;
      let using: string[] | null = null;
      if (this.acceptWord('ON')) on = this.expr();
      else if (this.acceptWord('USING')) {
        this.expectOp('(');
        using = [];
        do using.push(this.name('a column name'));
        while (this.acceptOp(','));
        this.expectOp(')');
      }
      if (join.natural && (on || using))
        throw new QueryError('a NATURAL join may not have an ON or USING clause', 'QUERY', {
          sql: this.sql,
          offset: source.start,
        });
      joins.push({ ...join, source, on, using });
      if (joins.length + 1 > MAX_FROM_TERMS)
        throw new QueryError(`too many FROM clause terms, max: ${MAX_FROM_TERMS}`, 'QUERY', {
          sql: this.sql,
          offset: source.start,
        });
    }
    if (joinTables(first) + joins.reduce((n, j) => n + joinTables(j.source), 0) > MAX_JOIN_TABLES)
      throw new QueryError(`at most ${MAX_JOIN_TABLES} tables in a join`, 'QUERY', {
        sql: this.sql,
        offset: first.start,
      });
    return { first, joins };
  }

  /** A table (`main.t`, `pragma_x(args)`) or `(SELECT …)`, with its alias. */
  private fromSource(): FromSourceAst {
    const start = this.tok.start;
    let source: FromSourceAst;
    if (this.acceptOp('(')) {
      if (!this.isAnyWord(['SELECT', 'VALUES', 'WITH'])) return this.groupSource(start);
      const query = this.query();
      this.expectOp(')');
      source = { t: 'derived', query, alias: this.tableAliasOpt(), start, end: this.prev.end };
    } else {
      let name = this.name('a table name');
      // `main.t` is `t`: the one database a connection has is SQLite's `main`.
      if (this.isOp('.') && (name.toLowerCase() === 'main' || name.toLowerCase() === 'temp')) {
        const schema = this.schemaQualifier(name, 'table');
        this.i++;
        name = this.name('a table name');
        this.schemas.set(name.toLowerCase(), schema);
      } else this.unqualified.add(name.toLowerCase());
      let args: SqlExpr[] | undefined;
      // Table-valued functions: the catalog PRAGMAs' (`pragma_table_info('t')`), json_each and json_tree.
      if (this.isOp('(')) {
        const lower = name.toLowerCase();
        if (!lower.startsWith('pragma_') && lower !== 'json_each' && lower !== 'json_tree')
          throw this.unsupported(`the table-valued function ${name}()`);
        this.i++;
        args = [];
        if (!this.isOp(')'))
          do args.push(this.expr());
          while (this.acceptOp(','));
        this.expectOp(')');
      }
      if (this.isOp('.')) throw this.unsupported('schema-qualified table names');
      const alias = this.tableAliasOpt();
      const hint = args ? null : this.indexHint();
      source = {
        t: 'table',
        name,
        ...(args ? { args } : {}),
        alias,
        ...(hint ? { hint } : {}),
        start,
        end: this.prev.end,
      };
    }
    return source;
  }

  /** `INDEXED BY name` or `NOT INDEXED` after a table name (and its alias), or null. */
  private indexHint(): IndexHintAst | null {
    if (this.acceptWord('INDEXED')) {
      this.expectWord('BY');
      return { t: 'indexedBy', index: this.name('an index name') };
    }
    if (this.isWord('NOT') && this.isWord('INDEXED', this.peek())) {
      this.i += 2;
      return { t: 'notIndexed' };
    }
    return null;
  }

  /** `( sources )` after the `(`: one source unwrapped (taking the outer alias), else a group. */
  private groupSource(start: number): FromSourceAst {
    const inner = this.fromList();
    this.expectOp(')');
    const alias = this.tableAliasOpt();
    if (inner.joins.length > 0) return { t: 'group', from: inner, alias, start, end: this.prev.end };
    const only = inner.first;
    return alias === null ? only : { ...only, alias, start, end: this.prev.end };
  }

  private tableAliasOpt(): string | null {
    if (this.acceptWord('AS')) return this.name('a table alias');
    // FULL is not reserved: `a FULL JOIN b` is a join, not the alias "full".
    const fullJoin = this.isWord('FULL') && this.isAnyWord(['JOIN', 'OUTER'], this.peek());
    if (this.atName() && !this.isWord('INDEXED') && !fullJoin) return this.name();
    return null;
  }

  /** `,`, `[NATURAL] [LEFT|RIGHT|FULL [OUTER] | INNER | CROSS] JOIN`, or null when FROM ends. */
  private joinOperator(): { kind: JoinKind; natural: boolean } | null {
    if (this.acceptOp(',')) return { kind: 'inner', natural: false };
    if (!this.isAnyWord(JOIN_WORDS)) return null;
    const natural = this.acceptWord('NATURAL');
    let kind: JoinKind = 'inner';
    if (this.acceptWord('LEFT')) kind = 'left';
    else if (this.acceptWord('RIGHT')) kind = 'right';
    else if (this.acceptWord('FULL')) kind = 'full';
    else if (this.acceptWord('CROSS')) kind = 'cross';
    else this.acceptWord('INNER');
    if (kind === 'left' || kind === 'right' || kind === 'full') this.acceptWord('OUTER');
    this.expectWord('JOIN');
    return { kind, natural };
  }

  private values(): StatementAst {
    this.expectWord('VALUES');
    const rows = this.valueRows();
    if (this.isAnyWord(COMPOUND_WORDS)) return this.compound({ t: 'values', rows });
    return { t: 'values', rows };
  }

  /** `(a, b), (c, d)`: the row lists of VALUES (the statement and INSERT's). */
  private valueRows(): SqlExpr[][] {
    const rows: SqlExpr[][] = [];
    do {
      this.expectOp('(');
      const row: SqlExpr[] = [];
      do row.push(this.expr());
      while (this.acceptOp(','));
      this.expectOp(')');
      rows.push(row);
    } while (this.acceptOp(','));
    return rows;
  }

  private selectItem(): SelectItem {
    const start = this.tok.start;
    if (this.acceptOp('*')) return { expr: null, qualifier: null, alias: null, start, end: this.prev.end };
    if (
      (this.tok.kind === 'ident' || this.tok.kind === 'qident') &&
      this.isOp('.', this.peek()) &&
      this.isOp('*', this.peek(2))
    ) {
      const qualifier = this.next().text;
      this.i += 2;
      return { expr: null, qualifier, alias: null, start, end: this.prev.end };
    }
    const expr = this.expr();
    const end = this.prev.end;
    let alias: string | null = null;
    if (this.acceptWord('AS')) alias = this.name('an alias');
    else if (this.atName() || this.tok.kind === 'string') alias = this.name();
    return { expr, qualifier: null, alias, start, end };
  }

  private orderBy(): OrderItem[] {
    const out: OrderItem[] = [];
    if (!this.acceptWord('ORDER')) return out;
    this.expectWord('BY');
    do {
      const expr = this.expr();
      let desc = false;
      if (this.acceptWord('DESC')) desc = true;
      else this.acceptWord('ASC');
      out.push({ expr, desc, ...nullsOrder(this) });
    } while (this.acceptOp(','));
    if (out.length > MAX_COLUMNS)
      throw this.limitError('too many terms in ORDER BY clause', out[0].expr.start);
    return out;
  }

  private limit(): { limit: SqlExpr | null; offset: SqlExpr | null } {
    if (!this.acceptWord('LIMIT')) {
      if (this.isWord('OFFSET')) throw this.error('OFFSET without LIMIT');
      return { limit: null, offset: null };
    }
    const first = this.expr();
    if (this.acceptWord('OFFSET')) return { limit: first, offset: this.expr() };
    // SQLite's `LIMIT a, b` means OFFSET a LIMIT b.
    if (this.acceptOp(',')) return { offset: first, limit: this.expr() };
    return { limit: first, offset: null };
  }

  /** `OR ROLLBACK | ABORT | FAIL | IGNORE | REPLACE` after INSERT or UPDATE (SQLite's conflict clause). */
  private conflictPolicy(): ConflictPolicyAst | null {
    if (!this.acceptWord('OR')) return null;
    const w = this.tok.kind === 'ident' ? this.tok.upper : '';
    const policy = CONFLICT_POLICIES.find((p) => p.toUpperCase() === w);
    if (policy === undefined) throw this.error('expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE');
    this.i++;
    return policy;
  }

  private tableName(): string {
    return this.objectName('a table name', 'table');
  }

  private insert(): StatementAst {
    let or: ConflictPolicyAst | null;
    if (this.acceptWord('REPLACE')) or = 'replace';
    else {
      this.expectWord('INSERT');
      or = this.conflictPolicy();
    }
    this.expectWord('INTO');
    const table = this.tableName();
    if (this.isWord('AS')) throw this.unsupported('INSERT table aliases');
    let columns: string[] | null = null;
    if (this.acceptOp('(')) {
      columns = [];
      do columns.push(this.dottedName());
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    const source = this.insertSource();
    if (source.t === 'select' && this.isWord('ON') && endsWithFrom(source.select))
      throw this.error(
        'ON right after the FROM clause of INSERT … SELECT is read as a join constraint, as SQLite does: write WHERE true before ON CONFLICT',
      );
    const upserts: UpsertClause[] = [];
    while (source.t !== 'defaults' && this.isWord('ON')) upserts.push(this.upsertClause(upserts));
    return { t: 'insert', or, table, columns, source, upserts, returning: this.returning() };
  }

  private insertSource(): InsertSource {
    if (this.isWord('WITH')) return { t: 'select', select: this.query() };
    if (this.isWord('SELECT')) return { t: 'select', select: this.select() };
    if (this.acceptWord('DEFAULT')) {
      this.expectWord('VALUES');
      return { t: 'defaults' };
    }
    this.expectWord('VALUES');
    const rows = this.valueRows();
    return { t: 'values', rows };
  }

  private upsertClause(earlier: readonly UpsertClause[]): UpsertClause {
    this.expectWord('ON');
    this.expectWord('CONFLICT');
    // SQLite: only the last ON CONFLICT clause may omit the conflict target.
    if (earlier.length > 0 && earlier[earlier.length - 1].target === null)
      throw this.error('a conflict target is required on every ON CONFLICT clause but the last');
    let target: string[] | null = null;
    let targetWhere: SqlExpr | null = null;
    if (this.acceptOp('(')) {
      target = [];
      do {
        target.push(this.dottedName());
        if (this.isWord('COLLATE')) throw this.unsupported('COLLATE in a conflict target');
        if (this.isWord('ASC') || this.isWord('DESC')) this.i++;
      } while (this.acceptOp(','));
      this.expectOp(')');
      if (this.acceptWord('WHERE')) targetWhere = this.expr();
    }
    this.expectWord('DO');
    if (this.acceptWord('NOTHING')) return { target, targetWhere, sets: null, where: null };
    this.expectWord('UPDATE');
    this.expectWord('SET');
    const sets = this.setList();
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    return { target, targetWhere, sets, where };
  }

  private setList(): SetClause[] {
    const sets: SetClause[] = [];
    do {
      if (this.acceptOp('(')) {
        const columns: string[] = [];
        do columns.push(this.dottedName());
        while (this.acceptOp(','));
        this.expectOp(')');
        this.expectOp('=');
        sets.push(...this.rowAssignment(columns, this.expr()));
        continue;
      }
      const column = this.dottedName();
      this.expectOp('=');
      sets.push({ column, expr: this.expr() });
    } while (this.acceptOp(','));
    return sets;
  }

  /**
   * `SET (a, b) = value` as one assignment per column: a row value gives its items, a scalar
   * subquery its columns (each a node reading column k of the first row), SQLite's message when
   * the counts differ.
   */
  private rowAssignment(columns: readonly string[], value: SqlExpr): SetClause[] {
    const n = columns.length;
    const mismatch = (got: number): QueryError =>
      new QueryError(`${n} columns assigned ${got} values`, 'QUERY', { sql: this.sql, offset: value.start });
    if (value.t === 'row') {
      if (value.items.length !== n) throw mismatch(value.items.length);
      return columns.map((column, k) => ({ column, expr: value.items[k] }));
    }
    if (value.t === 'subquery' && value.mode === 'scalar')
      return columns.map((column, index) => ({ column, expr: { ...value, column: { index, of: n } } }));
    if (n !== 1) throw mismatch(1);
    return [{ column: columns[0], expr: value }];
  }

  private returning(): SelectItem[] | null {
    if (!this.acceptWord('RETURNING')) return null;
    const items: SelectItem[] = [];
    do {
      const item = this.selectItem();
      if (item.qualifier !== null)
        throw new QueryError('RETURNING may not use "TABLE.*" wildcards', 'QUERY', {
          sql: this.sql,
          offset: item.start,
        });
      items.push(item);
    } while (this.acceptOp(','));
    return items;
  }

  private update(): StatementAst {
    this.expectWord('UPDATE');
    const or = this.conflictPolicy();
    const table = this.tableName();
    // SQLite's UPDATE takes an alias only after AS (its grammar has no bare alias there).
    const alias = this.acceptWord('AS') ? this.name('a table alias') : null;
    const hint = this.indexHint();
    this.expectWord('SET');
    const sets = this.setList();
    const from = this.acceptWord('FROM') ? this.fromList() : undefined;
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    const returning = this.returning();
    if (this.isWord('ORDER') || this.isWord('LIMIT')) throw this.unsupported('UPDATE ... ORDER BY/LIMIT');
    return {
      t: 'update',
      or,
      table,
      alias,
      ...(hint ? { hint } : {}),
      ...(from ? { from } : {}),
      sets,
      where,
      returning,
    };
  }

  private delete(): StatementAst {
    this.expectWord('DELETE');
    this.expectWord('FROM');
    const table = this.tableName();
    // As in SQLite, DELETE's alias needs AS (a bare name after the table is a syntax error).
    const alias = this.acceptWord('AS') ? this.name('a table alias') : null;
    const hint = this.indexHint();
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    const returning = this.returning();
    if (this.isWord('ORDER') || this.isWord('LIMIT')) throw this.unsupported('DELETE ... ORDER BY/LIMIT');
    return { t: 'delete', table, alias, ...(hint ? { hint } : {}), where, returning };
  }
}

/** Whether nothing follows the FROM clause of `select` (so a following ON would belong to it). */
function endsWithFrom(query: QueryAst): boolean {
  if (query.t === 'compound') {
    const last = query.arms[query.arms.length - 1];
    return query.orderBy.length === 0 && query.limit === null && last.t === 'select' && endsWithFrom(last);
  }
  const select = query;
  return (
    select.where === null &&
    select.groupBy.length === 0 &&
    select.having === null &&
    select.orderBy.length === 0 &&
    select.limit === null
  );
}

/** Parse one statement (trailing semicolons allowed). */
export function parseSql(sql: string): StatementAst {
  return parseSqlSchemas(sql).ast;
}

/** Parse one statement, with the schemas (`main`, `temp`) it qualifies names with. */
export function parseSqlSchemas(sql: string): {
  ast: StatementAst;
  schemas: ReadonlyMap<string, 'main' | 'temp'>;
  unqualified: ReadonlySet<string>;
} {
  if (typeof sql !== 'string') throw new ProgrammingError('SQL must be a string', 'PROGRAMMING');
  const text = sqlText(sql);
  const p = new StatementParser(text, tokenize(text));
  const ast = p.statement();
  return { ast, schemas: p.schemas, unqualified: p.unqualified };
}

/** Parse one expression on its own (a stored DEFAULT expression's text); nothing may follow it. */
export function parseExpression(sql: string): SqlExpr {
  const text = sqlText(sql);
  const p = new ExprParser(text, tokenize(text));
  const e = p.expr();
  if (p.tok.kind !== 'eof') throw p.error('unexpected text after the expression');
  return e;
}

/** Tables a FROM source joins: one, or a parenthesized join's own. */
function joinTables(source: FromSourceAst): number {
  if (source.t !== 'group') return 1;
  return joinTables(source.from.first) + source.from.joins.reduce((n, j) => n + joinTables(j.source), 0);
}
