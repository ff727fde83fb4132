/**
 * Recursive-descent parser for the SQL subset (SPEC §7 Tier 1). Operator precedence follows
 * SQLite, loosest first: OR; AND; NOT; = == != <> IS IN LIKE BETWEEN; < <= > >=; + -; * / %; ||;
 * unary - +. Valid SQL outside the subset (JOIN, subqueries, UNION, CASE, functions other than
 * the aggregates, WITH, RETURNING, ...) is a NotSupportedError naming the construct; anything
 * malformed is a QueryError (code SYNTAX) with the position.
 */
import { NotSupportedError } from '../../src/errors';
import { syntaxError, tokenize } from './lexer';
import type { Token } from './lexer';
import type { ColumnDefAst, OrderItem, SelectAst, SelectItem, SqlExpr, StatementAst } from './ast';

/** Words that end an expression or a select item when they appear bare. */
const RESERVED = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'LIKE',
  'BETWEEN',
  'ESCAPE',
  'ASC',
  'DESC',
  'ON',
  'JOIN',
  'LEFT',
  'RIGHT',
  'INNER',
  'OUTER',
  'CROSS',
  'NATURAL',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'SELECT',
  'VALUES',
  'SET',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'CASE',
  'USING',
  'WINDOW',
  'RETURNING',
  'COLLATE',
  'GLOB',
  'REGEXP',
  'MATCH',
  'ISNULL',
  'NOTNULL',
  'NULL',
  'EXISTS',
  'DISTINCT',
  'ALL',
  'BY',
]);

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'TOTAL']);

class Parser {
  private i = 0;
  constructor(
    private readonly sql: string,
    private readonly toks: Token[],
  ) {}

  private get tok(): Token {
    return this.toks[this.i];
  }

  private peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  private isWord(w: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && t.upper === w;
  }

  private isOp(o: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.text === o;
  }

  private acceptWord(w: string): boolean {
    if (!this.isWord(w)) return false;
    this.i++;
    return true;
  }

  private acceptOp(o: string): boolean {
    if (!this.isOp(o)) return false;
    this.i++;
    return true;
  }

  private expectWord(w: string): Token {
    if (!this.isWord(w)) throw this.error(`expected ${w}`);
    return this.toks[this.i++];
  }

  private expectOp(o: string): Token {
    if (!this.isOp(o)) throw this.error(`expected '${o}'`);
    return this.toks[this.i++];
  }

  error(message: string, at: Token = this.tok): Error {
    return syntaxError(
      this.sql,
      at.start,
      at.kind === 'eof' ? `${message} but the statement ended` : message,
    );
  }

  private unsupported(what: string): NotSupportedError {
    return new NotSupportedError(`${what} is not supported by ModelVault's SQL subset`, 'NOT_SUPPORTED', {
      sql: this.sql,
    });
  }

  /** An identifier (bare non-reserved word or quoted). */
  private name(what = 'a name'): string {
    const t = this.tok;
    if (t.kind === 'qident' || (t.kind === 'ident' && !RESERVED.has(t.upper))) {
      this.i++;
      return t.text;
    }
    if (t.kind === 'string') {
      this.i++;
      return t.text;
    }
    throw this.error(`expected ${what}`);
  }

  // ───────────────────────────── statements ─────────────────────────────

  statement(): StatementAst {
    const t = this.tok;
    if (t.kind === 'eof') throw this.error('empty statement');
    if (t.kind !== 'ident') throw this.error('expected a statement keyword');
    let stmt: StatementAst;
    switch (t.upper) {
      case 'SELECT':
        stmt = this.select();
        break;
      case 'EXPLAIN':
        this.i++;
        if (this.acceptWord('QUERY')) this.expectWord('PLAN');
        if (!this.isWord('SELECT')) throw this.unsupported('EXPLAIN of anything but SELECT');
        stmt = { t: 'explain', select: this.select() };
        break;
      case 'INSERT':
      case 'REPLACE':
        stmt = this.insert();
        break;
      case 'UPDATE':
        stmt = this.update();
        break;
      case 'DELETE':
        stmt = this.delete();
        break;
      case 'CREATE':
        stmt = this.create();
        break;
      case 'DROP':
        stmt = this.drop();
        break;
      case 'ALTER':
        stmt = this.alter();
        break;
      case 'BEGIN':
        this.i++;
        if (this.isWord('DEFERRED') || this.isWord('IMMEDIATE') || this.isWord('EXCLUSIVE')) this.i++;
        this.acceptWord('TRANSACTION');
        stmt = { t: 'begin' };
        break;
      case 'COMMIT':
      case 'END':
        this.i++;
        this.acceptWord('TRANSACTION');
        stmt = { t: 'commit' };
        break;
      case 'ROLLBACK':
        this.i++;
        this.acceptWord('TRANSACTION');
        if (this.isWord('TO')) throw this.unsupported('ROLLBACK TO (savepoints)');
        stmt = { t: 'rollback' };
        break;
      case 'WITH':
        throw this.unsupported('WITH (common table expressions)');
      case 'PRAGMA':
      case 'VACUUM':
      case 'ATTACH':
      case 'DETACH':
      case 'ANALYZE':
      case 'REINDEX':
      case 'SAVEPOINT':
      case 'RELEASE':
        throw this.unsupported(t.upper);
      default:
        throw this.error(`unknown statement '${t.text}'`);
    }
    this.acceptOp(';');
    if (this.tok.kind !== 'eof') {
      throw this.isOp(';') || this.tok.kind === 'ident'
        ? syntaxError(this.sql, this.tok.start, 'only one statement can be executed at a time')
        : this.error('unexpected text after the end of the statement');
    }
    return stmt;
  }

  private select(): SelectAst {
    this.expectWord('SELECT');
    let distinct = false;
    if (this.acceptWord('DISTINCT')) distinct = true;
    else this.acceptWord('ALL');
    const items: SelectItem[] = [];
    do items.push(this.selectItem());
    while (this.acceptOp(','));
    if (!this.acceptWord('FROM')) throw this.unsupported('SELECT without FROM');
    if (this.isOp('(')) throw this.unsupported('subqueries');
    const table = this.name('a table name');
    let tableAlias: string | null = null;
    if (this.acceptWord('AS')) tableAlias = this.name('a table alias');
    else if (this.tok.kind === 'qident' || (this.tok.kind === 'ident' && !RESERVED.has(this.tok.upper)))
      tableAlias = this.name();
    if (
      this.isOp(',') ||
      ['JOIN', 'LEFT', 'RIGHT', 'INNER', 'CROSS', 'NATURAL', 'FULL'].some((w) => this.isWord(w))
    )
      throw this.unsupported('JOIN');
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    const groupBy: SqlExpr[] = [];
    let having: SqlExpr | null = null;
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY');
      do groupBy.push(this.expr());
      while (this.acceptOp(','));
    }
    if (this.acceptWord('HAVING')) having = this.expr();
    if (this.isWord('UNION') || this.isWord('EXCEPT') || this.isWord('INTERSECT'))
      throw this.unsupported(`${this.tok.upper} (compound SELECT)`);
    if (this.isWord('WINDOW')) throw this.unsupported('WINDOW');
    const orderBy: OrderItem[] = [];
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY');
      do {
        const expr = this.expr();
        if (this.isWord('COLLATE')) throw this.unsupported('COLLATE');
        let desc = false;
        if (this.acceptWord('DESC')) desc = true;
        else this.acceptWord('ASC');
        if (this.isWord('NULLS')) throw this.unsupported('NULLS FIRST/LAST');
        orderBy.push({ expr, desc });
      } while (this.acceptOp(','));
    }
    let limit: SqlExpr | null = null;
    let offset: SqlExpr | null = null;
    if (this.acceptWord('LIMIT')) {
      limit = this.expr();
      if (this.acceptWord('OFFSET')) offset = this.expr();
      else if (this.acceptOp(',')) {
        // SQLite's LIMIT a, b means OFFSET a LIMIT b.
        offset = limit;
        limit = this.expr();
      }
    } else if (this.isWord('OFFSET')) throw this.error('OFFSET without LIMIT');
    return {
      t: 'select',
      distinct,
      items,
      table,
      tableAlias,
      where,
      groupBy,
      having,
      orderBy,
      limit,
      offset,
    };
  }

  private selectItem(): SelectItem {
    const start = this.tok.start;
    if (this.isOp('*')) {
      this.i++;
      return { expr: null, alias: null, start, end: this.toks[this.i - 1].end };
    }
    if (
      (this.tok.kind === 'ident' || this.tok.kind === 'qident') &&
      this.isOp('.', this.peek()) &&
      this.isOp('*', this.peek(2))
    ) {
      this.i += 3;
      return { expr: null, alias: null, start, end: this.toks[this.i - 1].end };
    }
    const expr = this.expr();
    const end = this.toks[this.i - 1].end;
    let alias: string | null = null;
    if (this.acceptWord('AS')) alias = this.name('an alias');
    else if (
      this.tok.kind === 'qident' ||
      this.tok.kind === 'string' ||
      (this.tok.kind === 'ident' && !RESERVED.has(this.tok.upper))
    )
      alias = this.name();
    return { expr, alias, start, end };
  }

  private insert(): StatementAst {
    let or: 'ignore' | 'replace' | 'abort' | null = null;
    if (this.acceptWord('REPLACE')) or = 'replace';
    else {
      this.expectWord('INSERT');
      if (this.acceptWord('OR')) {
        const w = this.tok.upper;
        if (w === 'IGNORE') or = 'ignore';
        else if (w === 'REPLACE') or = 'replace';
        else if (w === 'ABORT' || w === 'FAIL' || w === 'ROLLBACK') or = 'abort';
        else throw this.error('expected IGNORE, REPLACE, ABORT, FAIL or ROLLBACK');
        this.i++;
      }
    }
    this.expectWord('INTO');
    const table = this.name('a table name');
    if (this.isWord('AS')) throw this.unsupported('INSERT table aliases');
    let columns: string[] | null = null;
    if (this.acceptOp('(')) {
      columns = [];
      do columns.push(this.name('a column name'));
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    if (this.isWord('SELECT')) throw this.unsupported('INSERT ... SELECT');
    if (this.isWord('DEFAULT')) throw this.unsupported('INSERT ... DEFAULT VALUES');
    this.expectWord('VALUES');
    const rows: SqlExpr[][] = [];
    do {
      this.expectOp('(');
      const row: SqlExpr[] = [];
      do row.push(this.expr());
      while (this.acceptOp(','));
      this.expectOp(')');
      rows.push(row);
    } while (this.acceptOp(','));
    let doNothing = false;
    if (this.acceptWord('ON')) {
      this.expectWord('CONFLICT');
      if (this.isOp('(')) throw this.unsupported('ON CONFLICT with a conflict target');
      this.expectWord('DO');
      if (this.isWord('UPDATE')) throw this.unsupported('ON CONFLICT DO UPDATE (upsert)');
      this.expectWord('NOTHING');
      doNothing = true;
      or = 'ignore';
    }
    if (this.isWord('RETURNING')) throw this.unsupported('RETURNING');
    return { t: 'insert', or, doNothing, table, columns, rows };
  }

  private update(): StatementAst {
    this.expectWord('UPDATE');
    if (this.acceptWord('OR')) throw this.unsupported('UPDATE OR ...');
    const table = this.name('a table name');
    this.expectWord('SET');
    const sets: { column: string; expr: SqlExpr }[] = [];
    do {
      if (this.isOp('(')) throw this.unsupported('UPDATE with a column list');
      const column = this.dottedName();
      this.expectOp('=');
      sets.push({ column, expr: this.expr() });
    } while (this.acceptOp(','));
    if (this.isWord('FROM')) throw this.unsupported('UPDATE ... FROM');
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    if (this.isWord('RETURNING')) throw this.unsupported('RETURNING');
    if (this.isWord('ORDER') || this.isWord('LIMIT')) throw this.unsupported('UPDATE ... ORDER BY/LIMIT');
    return { t: 'update', table, sets, where };
  }

  private dottedName(): string {
    const parts = [this.name('a column name')];
    while (this.acceptOp('.')) parts.push(this.name('a column name'));
    return parts.join('.');
  }

  private delete(): StatementAst {
    this.expectWord('DELETE');
    this.expectWord('FROM');
    const table = this.name('a table name');
    const where = this.acceptWord('WHERE') ? this.expr() : null;
    if (this.isWord('RETURNING')) throw this.unsupported('RETURNING');
    if (this.isWord('ORDER') || this.isWord('LIMIT')) throw this.unsupported('DELETE ... ORDER BY/LIMIT');
    return { t: 'delete', table, where };
  }

  private ifNotExists(): boolean {
    if (!this.acceptWord('IF')) return false;
    this.expectWord('NOT');
    this.expectWord('EXISTS');
    return true;
  }

  private ifExists(): boolean {
    if (!this.acceptWord('IF')) return false;
    this.expectWord('EXISTS');
    return true;
  }

  private create(): StatementAst {
    this.expectWord('CREATE');
    if (this.isWord('TEMP') || this.isWord('TEMPORARY')) throw this.unsupported('temporary tables');
    if (this.isWord('VIEW') || this.isWord('TRIGGER') || this.isWord('VIRTUAL'))
      throw this.unsupported(`CREATE ${this.tok.upper}`);
    const unique = this.acceptWord('UNIQUE');
    if (this.acceptWord('INDEX')) {
      const ifNotExists = this.ifNotExists();
      const name = this.name('an index name');
      this.expectWord('ON');
      const table = this.name('a table name');
      this.expectOp('(');
      const columns: string[] = [];
      do {
        columns.push(this.dottedName());
        if (this.isWord('COLLATE')) throw this.unsupported('COLLATE');
        if (this.acceptWord('DESC')) throw this.unsupported('descending index columns');
        this.acceptWord('ASC');
      } while (this.acceptOp(','));
      this.expectOp(')');
      if (this.isWord('WHERE')) throw this.unsupported('partial indexes');
      return { t: 'createIndex', name, table, columns, unique, ifNotExists };
    }
    if (unique) throw this.error('expected INDEX');
    this.expectWord('TABLE');
    const ifNotExists = this.ifNotExists();
    const name = this.name('a table name');
    if (this.isWord('AS')) throw this.unsupported('CREATE TABLE ... AS SELECT');
    this.expectOp('(');
    const columns: ColumnDefAst[] = [];
    let primaryKey: string[] | null = null;
    const uniques: string[][] = [];
    const checks: SqlExpr[] = [];
    do {
      if (this.acceptWord('CONSTRAINT')) this.name('a constraint name');
      if (this.acceptWord('PRIMARY')) {
        this.expectWord('KEY');
        primaryKey = this.nameList();
      } else if (this.acceptWord('UNIQUE')) uniques.push(this.nameList());
      else if (this.acceptWord('CHECK')) {
        this.expectOp('(');
        checks.push(this.expr());
        this.expectOp(')');
      } else if (this.isWord('FOREIGN')) throw this.unsupported('FOREIGN KEY');
      else columns.push(this.columnDef());
    } while (this.acceptOp(','));
    this.expectOp(')');
    if (this.isWord('WITHOUT') || this.isWord('STRICT'))
      throw this.unsupported(`table option ${this.tok.upper}`);
    return { t: 'createTable', name, ifNotExists, columns, primaryKey, uniques, checks };
  }

  private nameList(): string[] {
    this.expectOp('(');
    const out: string[] = [];
    do {
      out.push(this.name('a column name'));
      this.acceptWord('ASC');
      this.acceptWord('DESC');
    } while (this.acceptOp(','));
    this.expectOp(')');
    return out;
  }

  private columnDef(): ColumnDefAst {
    const start = this.tok.start;
    const name = this.name('a column name');
    let typeName = '';
    const typeArgs: number[] = [];
    while (
      this.tok.kind === 'ident' &&
      ![
        'PRIMARY',
        'NOT',
        'NULL',
        'UNIQUE',
        'DEFAULT',
        'CHECK',
        'CONSTRAINT',
        'REFERENCES',
        'COLLATE',
        'GENERATED',
        'AS',
      ].includes(this.tok.upper)
    ) {
      typeName = typeName ? `${typeName} ${this.tok.upper}` : this.tok.upper;
      this.i++;
    }
    if (this.acceptOp('(')) {
      do {
        const t = this.tok;
        if (t.kind !== 'number') throw this.error('expected a number in the type');
        typeArgs.push(Number(t.text));
        this.i++;
      } while (this.acceptOp(','));
      this.expectOp(')');
    }
    let notNull = false;
    let primaryKey = false;
    let unique = false;
    let defaultValue: SqlExpr | null = null;
    const checks: SqlExpr[] = [];
    for (;;) {
      if (this.acceptWord('CONSTRAINT')) this.name('a constraint name');
      if (this.acceptWord('PRIMARY')) {
        this.expectWord('KEY');
        if (this.acceptWord('DESC')) throw this.unsupported('PRIMARY KEY DESC');
        this.acceptWord('ASC');
        if (this.acceptWord('AUTOINCREMENT')) throw this.unsupported('AUTOINCREMENT');
        primaryKey = true;
      } else if (this.acceptWord('NOT')) {
        this.expectWord('NULL');
        notNull = true;
      } else if (this.acceptWord('NULL')) {
        // explicitly nullable: the default
      } else if (this.acceptWord('UNIQUE')) unique = true;
      else if (this.acceptWord('DEFAULT')) {
        if (this.acceptOp('(')) {
          defaultValue = this.expr();
          this.expectOp(')');
        } else defaultValue = this.unary();
      } else if (this.acceptWord('CHECK')) {
        this.expectOp('(');
        checks.push(this.expr());
        this.expectOp(')');
      } else if (this.isWord('REFERENCES')) throw this.unsupported('REFERENCES (foreign keys)');
      else if (this.isWord('COLLATE')) throw this.unsupported('COLLATE');
      else if (this.isWord('GENERATED') || this.isWord('AS')) throw this.unsupported('generated columns');
      else break;
    }
    return {
      name,
      typeName,
      typeArgs,
      notNull,
      primaryKey,
      unique,
      defaultValue,
      checks,
      start,
      end: this.toks[this.i - 1].end,
    };
  }

  private drop(): StatementAst {
    this.expectWord('DROP');
    if (this.acceptWord('TABLE')) {
      const ifExists = this.ifExists();
      return { t: 'dropTable', ifExists, name: this.name('a table name') };
    }
    if (this.acceptWord('INDEX')) {
      const ifExists = this.ifExists();
      return { t: 'dropIndex', ifExists, name: this.name('an index name') };
    }
    if (this.isWord('VIEW') || this.isWord('TRIGGER')) throw this.unsupported(`DROP ${this.tok.upper}`);
    throw this.error('expected TABLE or INDEX');
  }

  private alter(): StatementAst {
    this.expectWord('ALTER');
    this.expectWord('TABLE');
    const table = this.name('a table name');
    if (this.acceptWord('ADD')) {
      this.acceptWord('COLUMN');
      return { t: 'addColumn', table, column: this.columnDef() };
    }
    if (this.isWord('RENAME') || this.isWord('DROP')) throw this.unsupported(`ALTER TABLE ${this.tok.upper}`);
    throw this.error('expected ADD COLUMN');
  }

  // ───────────────────────────── expressions ─────────────────────────────

  expr(): SqlExpr {
    return this.or();
  }

  private span<T extends object>(start: Token, node: T): T & { start: number; end: number } {
    return { ...node, start: start.start, end: this.toks[this.i - 1].end };
  }

  private or(): SqlExpr {
    const first = this.tok;
    let l = this.and();
    while (this.acceptWord('OR')) l = this.span(first, { t: 'bin' as const, op: 'OR', l, r: this.and() });
    return l;
  }

  private and(): SqlExpr {
    const first = this.tok;
    let l = this.not();
    while (this.acceptWord('AND')) l = this.span(first, { t: 'bin' as const, op: 'AND', l, r: this.not() });
    return l;
  }

  private not(): SqlExpr {
    const first = this.tok;
    if (this.acceptWord('NOT')) {
      if (this.isWord('EXISTS')) throw this.unsupported('EXISTS subqueries');
      return this.span(first, { t: 'unary' as const, op: 'NOT' as const, arg: this.not() });
    }
    return this.equality();
  }

  private equality(): SqlExpr {
    const first = this.tok;
    let l = this.comparison();
    for (;;) {
      const t = this.tok;
      if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=' || t.text === '<>')) {
        this.i++;
        const op = t.text === '==' ? '=' : t.text === '<>' ? '!=' : t.text;
        l = this.span(first, { t: 'bin' as const, op, l, r: this.comparison() });
        continue;
      }
      if (this.isWord('ISNULL') || this.isWord('NOTNULL')) {
        const not = this.tok.upper === 'NOTNULL';
        this.i++;
        l = this.span(first, { t: 'isnull' as const, arg: l, not });
        continue;
      }
      if (this.isWord('IS')) {
        this.i++;
        const not = this.acceptWord('NOT');
        if (this.isWord('DISTINCT')) throw this.unsupported('IS [NOT] DISTINCT FROM');
        if (!this.acceptWord('NULL')) throw this.unsupported('IS with anything but NULL');
        l = this.span(first, { t: 'isnull' as const, arg: l, not });
        continue;
      }
      const negated =
        this.isWord('NOT') &&
        ['IN', 'LIKE', 'BETWEEN', 'GLOB', 'REGEXP', 'MATCH', 'NULL'].some((w) => this.isWord(w, this.peek()));
      if (negated) this.i++;
      if (negated && this.acceptWord('NULL')) {
        l = this.span(first, { t: 'isnull' as const, arg: l, not: true });
        continue;
      }
      if (this.acceptWord('IN')) {
        this.expectOp('(');
        if (this.isWord('SELECT')) throw this.unsupported('IN (subquery)');
        const list: SqlExpr[] = [];
        if (!this.isOp(')')) {
          do list.push(this.expr());
          while (this.acceptOp(','));
        }
        this.expectOp(')');
        l = this.span(first, { t: 'in' as const, arg: l, list, not: negated });
        continue;
      }
      if (this.acceptWord('BETWEEN')) {
        const lo = this.comparison();
        this.expectWord('AND');
        const hi = this.comparison();
        l = this.span(first, { t: 'between' as const, arg: l, lo, hi, not: negated });
        continue;
      }
      if (this.acceptWord('LIKE')) {
        const pat = this.comparison();
        const esc = this.acceptWord('ESCAPE') ? this.comparison() : null;
        l = this.span(first, { t: 'like' as const, arg: l, pat, esc, not: negated });
        continue;
      }
      if (this.isWord('GLOB') || this.isWord('REGEXP') || this.isWord('MATCH'))
        throw this.unsupported(this.tok.upper);
      if (negated) throw this.error('expected IN, LIKE, BETWEEN or NULL after NOT');
      return l;
    }
  }

  private comparison(): SqlExpr {
    const first = this.tok;
    let l = this.additive();
    while (this.tok.kind === 'op' && ['<', '<=', '>', '>='].includes(this.tok.text)) {
      const op = this.toks[this.i++].text;
      l = this.span(first, { t: 'bin' as const, op, l, r: this.additive() });
    }
    return l;
  }

  private additive(): SqlExpr {
    const first = this.tok;
    let l = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.toks[this.i++].text;
      l = this.span(first, { t: 'bin' as const, op, l, r: this.multiplicative() });
    }
    return l;
  }

  private multiplicative(): SqlExpr {
    const first = this.tok;
    let l = this.concat();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.toks[this.i++].text;
      l = this.span(first, { t: 'bin' as const, op, l, r: this.concat() });
    }
    return l;
  }

  private concat(): SqlExpr {
    const first = this.tok;
    let l = this.unary();
    while (this.isOp('||')) {
      this.i++;
      l = this.span(first, { t: 'bin' as const, op: '||', l, r: this.unary() });
    }
    return l;
  }

  private unary(): SqlExpr {
    const first = this.tok;
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.toks[this.i++].text as '-' | '+';
      return this.span(first, { t: 'unary' as const, op, arg: this.unary() });
    }
    if (this.isWord('COLLATE', this.peek())) throw this.unsupported('COLLATE');
    return this.primary();
  }

  private primary(): SqlExpr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.i++;
        return this.span(t, { t: 'num' as const, text: t.text });
      case 'string':
        this.i++;
        return this.span(t, { t: 'str' as const, value: t.text });
      case 'blob':
        this.i++;
        return this.span(t, { t: 'blob' as const, hex: t.text });
      case 'param':
        this.i++;
        return this.span(t, { t: 'param' as const, spec: t.text });
      case 'qident':
        return this.columnRef(true);
      case 'op':
        if (t.text === '(') {
          this.i++;
          if (this.isWord('SELECT')) throw this.unsupported('subqueries');
          const inner = this.expr();
          if (this.isOp(',')) throw this.unsupported('row values');
          this.expectOp(')');
          return { ...inner, start: t.start, end: this.toks[this.i - 1].end };
        }
        throw this.error(`unexpected '${t.text}'`);
      case 'ident':
        break;
      default:
        throw this.error('expected an expression');
    }
    switch (t.upper) {
      case 'NULL':
        this.i++;
        return this.span(t, { t: 'null' as const });
      case 'TRUE':
      case 'FALSE':
        this.i++;
        return this.span(t, { t: 'bool' as const, value: t.upper === 'TRUE' });
      case 'CASE':
        throw this.unsupported('CASE');
      case 'EXISTS':
        throw this.unsupported('EXISTS subqueries');
      case 'CAST':
        throw this.unsupported('CAST');
      case 'SELECT':
        throw this.unsupported('subqueries');
      case 'CURRENT_TIME':
      case 'CURRENT_DATE':
      case 'CURRENT_TIMESTAMP':
        throw this.unsupported(t.upper);
    }
    if (this.isOp('(', this.peek())) return this.call();
    if (RESERVED.has(t.upper)) throw this.error(`unexpected keyword ${t.upper}`);
    return this.columnRef(false);
  }

  private call(): SqlExpr {
    const t = this.tok;
    const name = t.upper;
    if (!AGGREGATES.has(name)) throw this.unsupported(`function ${t.text}()`);
    this.i += 2;
    let star = false;
    let distinct = false;
    const args: SqlExpr[] = [];
    if (this.acceptOp('*')) star = true;
    else if (!this.isOp(')')) {
      distinct = this.acceptWord('DISTINCT');
      do args.push(this.expr());
      while (this.acceptOp(','));
    }
    this.expectOp(')');
    if (this.isWord('FILTER') || this.isWord('OVER')) throw this.unsupported(`${this.tok.upper} clauses`);
    if (star && name !== 'COUNT') throw this.error(`${name}(*) is not valid`);
    if (!star && args.length !== 1) throw this.unsupported(`${name} with ${args.length} arguments`);
    return this.span(t, { t: 'call' as const, name, args, star, distinct });
  }

  private columnRef(quoted: boolean): SqlExpr {
    const first = this.tok;
    const parts = [this.name('a column name')];
    while (this.isOp('.') && (this.peek().kind === 'ident' || this.peek().kind === 'qident')) {
      this.i++;
      parts.push(this.name('a column name'));
    }
    return this.span(first, { t: 'col' as const, parts, quoted });
  }
}

/** Parse one statement (a trailing ';' allowed). */
export function parseSql(sql: string): StatementAst {
  if (typeof sql !== 'string') throw new NotSupportedError('SQL must be a string');
  return new Parser(sql, tokenize(sql)).statement();
}
