/**
 * Expression grammar. Operator precedence follows SQLite's parse.y, loosest first: OR; AND; NOT;
 * = == != <> IS IN LIKE GLOB BETWEEN ISNULL NOTNULL; < <= > >=; & | << >>; + -; * / %; ||;
 * postfix COLLATE; unary - + ~. A NOT met where an operand starts (`1 + NOT 0 = 1`) takes
 * everything down to its own level as its operand, as SQLite's LALR grammar does, so it
 * parses as `1 + NOT (0 = 1)`. Function calls of any name parse (lowering decides which are
 * supported, and CHECK constraints need `length()`); subqueries parse through query(), which the
 * statement parser provides (here, for CHECK constraints and the like, they are refused).
 */
import { QueryError } from '../../src/errors';
import type { Token } from './lexer';
import type { OrderItem, QueryAst, SqlExpr } from './ast';
import { RESERVED, TokenStream } from './token-stream';
import { orderItems, parseOver } from './parse-window';

/** SQLite's SQLITE_MAX_EXPR_DEPTH: the lowering recurses over the tree, so its height is bounded. */
const MAX_EXPR_DEPTH = 1000;
/** Nested parentheses / unary operators the recursive-descent parser itself recurses through. */
const MAX_NESTING = 500;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An expression node before the parser fills in its span and depth. */
type Node = DistributiveOmit<SqlExpr, 'start' | 'end' | 'depth'>;

function isExpr(v: unknown): v is SqlExpr {
  return typeof v === 'object' && v !== null && 't' in v && 'depth' in v;
}

/** Height of the children of a node under construction. */
function childDepth(node: object): number {
  let d = 0;
  for (const v of Object.values(node)) {
    if (isExpr(v)) d = Math.max(d, v.depth);
    else if (Array.isArray(v))
      for (const x of v) {
        if (isExpr(x)) d = Math.max(d, x.depth);
        // CASE arms: { when, then } pairs.
        else if (typeof x === 'object' && x !== null) d = Math.max(d, childDepth(x as object));
      }
  }
  return d;
}

export class ExprParser extends TokenStream {
  private nesting = 0;
  /** Bare `?` parameters seen so far: their positional number is their order in the text. */
  private positional = 0;

  /** The SELECT (or VALUES) inside a subquery's parentheses; the statement parser overrides this. */
  protected query(): QueryAst {
    throw this.unsupported('subqueries');
  }

  /** `( SELECT … )` after EXISTS or IN, or where an operand starts: the cursor is on the query. */
  private subqueryBody(): QueryAst {
    if (++this.nesting > MAX_NESTING) throw this.tooDeep();
    try {
      const q = this.query();
      this.expectOp(')');
      return q;
    } finally {
      this.nesting--;
    }
  }

  private exists(first: Token, not: boolean): SqlExpr {
    this.expectWord('EXISTS');
    this.expectOp('(');
    return this.node(first, { t: 'subquery', mode: 'exists', query: this.subqueryBody(), arg: null, not });
  }

  expr(): SqlExpr {
    if (++this.nesting > MAX_NESTING) throw this.tooDeep();
    try {
      return this.or();
    } finally {
      this.nesting--;
    }
  }

  private tooDeep(): QueryError {
    return new QueryError(`expression tree is too large (maximum depth ${MAX_EXPR_DEPTH})`, 'QUERY', {
      sql: this.sql,
      offset: this.tok.start,
    });
  }

  /** Finish a node that started at `first` and ends at the last consumed token. */
  private node(first: Token, node: Node): SqlExpr {
    const depth = childDepth(node) + 1;
    if (depth > MAX_EXPR_DEPTH) throw this.tooDeep();
    return { ...node, start: first.start, end: this.prev.end, depth };
  }

  private or(): SqlExpr {
    const first = this.tok;
    let l = this.and();
    while (this.acceptWord('OR')) l = this.node(first, { t: 'bin', op: 'OR', l, r: this.and() });
    return l;
  }

  private and(): SqlExpr {
    const first = this.tok;
    let l = this.not();
    while (this.acceptWord('AND')) l = this.node(first, { t: 'bin', op: 'AND', l, r: this.not() });
    return l;
  }

  private not(): SqlExpr {
    const first = this.tok;
    if (!this.isWord('NOT')) return this.equality();
    this.i++;
    if (this.isWord('EXISTS')) return this.exists(first, true);
    if (++this.nesting > MAX_NESTING) throw this.tooDeep();
    try {
      return this.node(first, { t: 'unary', op: 'NOT', arg: this.not() });
    } finally {
      this.nesting--;
    }
  }

  private equality(): SqlExpr {
    const first = this.tok;
    let l = this.comparison();
    for (;;) {
      const t = this.tok;
      if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=' || t.text === '<>')) {
        this.i++;
        const op = t.text === '==' ? '=' : t.text === '<>' ? '!=' : t.text;
        l = this.node(first, { t: 'bin', op, l, r: this.comparison() });
        continue;
      }
      if (this.isWord('ISNULL') || this.isWord('NOTNULL')) {
        const not = this.next().upper === 'NOTNULL';
        l = this.node(first, { t: 'isnull', arg: l, not });
        continue;
      }
      if (this.acceptWord('IS')) {
        let not = this.acceptWord('NOT');
        // `IS DISTINCT FROM` is `IS NOT`; `IS NOT DISTINCT FROM` is `IS`.
        if (this.acceptWord('DISTINCT')) {
          this.expectWord('FROM');
          not = !not;
        }
        const r = this.comparison();
        // `IS [NOT] NULL` keeps its own node: the planner answers it from an index.
        l =
          r.t === 'null'
            ? this.node(first, { t: 'isnull', arg: l, not })
            : this.node(first, { t: 'is', l, r, not });
        continue;
      }
      const negated =
        this.isWord('NOT') &&
        this.isAnyWord(['IN', 'LIKE', 'BETWEEN', 'GLOB', 'REGEXP', 'MATCH', 'NULL'], this.peek());
      if (negated) this.i++;
      if (negated && this.acceptWord('NULL')) {
        l = this.node(first, { t: 'isnull', arg: l, not: true });
        continue;
      }
      if (this.acceptWord('IN')) {
        const list = this.inList();
        l = Array.isArray(list)
          ? this.node(first, { t: 'in', arg: l, list, not: negated })
          : this.node(first, { t: 'subquery', mode: 'in', query: list, arg: l, not: negated });
        continue;
      }
      if (this.acceptWord('BETWEEN')) {
        // SQLite's grammar reads the lower bound as any expression short of AND/OR (`x BETWEEN
        // 1 IS y AND 2`, `x BETWEEN a = b AND c`, even `NOT …`); the upper bound stops at
        // operators of BETWEEN's own precedence, which then apply to the whole BETWEEN.
        const lo = this.not();
        this.expectWord('AND');
        const hi = this.comparison();
        l = this.node(first, { t: 'between', arg: l, lo, hi, not: negated });
        continue;
      }
      if (this.acceptWord('LIKE')) {
        const pat = this.comparison();
        const esc = this.acceptWord('ESCAPE') ? this.comparison() : null;
        l = this.node(first, { t: 'like', arg: l, pat, esc, not: negated, glob: false });
        continue;
      }
      if (this.acceptWord('GLOB')) {
        const pat = this.comparison();
        // SQLite parses it, then glob() refuses a third argument.
        if (this.isWord('ESCAPE'))
          throw new QueryError('wrong number of arguments to function glob()', 'QUERY', {
            sql: this.sql,
            offset: this.tok.start,
          });
        l = this.node(first, { t: 'glob', arg: l, pat, not: negated });
        continue;
      }
      if (this.isAnyWord(['REGEXP', 'MATCH'])) throw this.unsupported(this.tok.upper);
      if (negated) throw this.error('expected IN, LIKE, BETWEEN or NULL after NOT');
      return l;
    }
  }

  private inList(): SqlExpr[] | QueryAst {
    if (!this.isOp('(')) {
      if (this.atName()) return this.inTable();
      throw this.error("expected '('");
    }
    this.i++;
    if (this.isAnyWord(['SELECT', 'VALUES', 'WITH'])) return this.subqueryBody();
    const list: SqlExpr[] = [];
    if (!this.isOp(')')) {
      do list.push(this.expr());
      while (this.acceptOp(','));
    }
    this.expectOp(')');
    return list;
  }

  /**
   * `x IN t` (also `main.t`): SQLite reads it as `x IN (SELECT * FROM t)`, so a table (or view,
   * or CTE) of more than one column is its "sub-select returns N columns" error.
   */
  private inTable(): QueryAst {
    const start = this.tok.start;
    let table = this.name('a table name');
    if (this.isOp('.') && table.toLowerCase() === 'main') {
      this.i++;
      table = this.name('a table name');
    }
    if (this.isOp('(')) throw this.unsupported('IN with a table-valued function');
    const end = this.prev.end;
    return {
      t: 'select',
      distinct: false,
      items: [{ expr: null, qualifier: null, alias: null, start, end }],
      table,
      tableAlias: null,
      where: null,
      groupBy: [],
      having: null,
      orderBy: [],
      limit: null,
      offset: null,
    };
  }

  private comparison(): SqlExpr {
    const first = this.tok;
    let l = this.bitwise();
    while (this.tok.kind === 'op' && ['<', '<=', '>', '>='].includes(this.tok.text)) {
      const op = this.next().text;
      l = this.node(first, { t: 'bin', op, l, r: this.bitwise() });
    }
    return l;
  }

  private bitwise(): SqlExpr {
    const first = this.tok;
    let l = this.additive();
    while (this.tok.kind === 'op' && ['&', '|', '<<', '>>'].includes(this.tok.text)) {
      const op = this.next().text;
      l = this.node(first, { t: 'bin', op, l, r: this.additive() });
    }
    return l;
  }

  private additive(): SqlExpr {
    const first = this.tok;
    let l = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text;
      l = this.node(first, { t: 'bin', op, l, r: this.multiplicative() });
    }
    return l;
  }

  private multiplicative(): SqlExpr {
    const first = this.tok;
    let l = this.concat();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text;
      l = this.node(first, { t: 'bin', op, l, r: this.concat() });
    }
    return l;
  }

  private concat(): SqlExpr {
    const first = this.tok;
    let l = this.collate();
    // ||, -> and ->> share SQLite's tightest binary precedence, left to right.
    while (this.isOp('||') || this.isOp('->') || this.isOp('->>')) {
      const op = this.next().text;
      l = this.node(first, { t: 'bin', op, l, r: this.collate() });
    }
    return l;
  }

  private collate(): SqlExpr {
    const first = this.tok;
    let e = this.unary();
    while (this.acceptWord('COLLATE'))
      e = this.node(first, { t: 'collate', arg: e, collation: this.name('a collation name') });
    return e;
  }

  /** A signed term without binary operators: a DEFAULT value, which SQLite parses at this level. */
  signed(): SqlExpr {
    return this.unary();
  }

  private unary(): SqlExpr {
    const first = this.tok;
    if (this.isOp('-') || this.isOp('+') || this.isOp('~')) {
      const text = this.next().text;
      const op = text === '-' ? '-' : text === '~' ? '~' : '+';
      if (++this.nesting > MAX_NESTING) throw this.tooDeep();
      try {
        return this.node(first, { t: 'unary', op, arg: this.unary() });
      } finally {
        this.nesting--;
      }
    }
    return this.primary();
  }

  private primary(): SqlExpr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.i++;
        return this.node(t, { t: 'num', text: t.text });
      case 'string':
        this.i++;
        return this.node(t, { t: 'str', value: t.text });
      case 'blob':
        this.i++;
        return this.node(t, { t: 'blob', hex: t.text });
      case 'param':
        this.i++;
        return this.node(t, { t: 'param', spec: t.text, ordinal: t.text === '?' ? this.positional++ : -1 });
      case 'qident':
        return this.columnRef(true);
      case 'op':
        if (t.text === '(') return this.parenthesized();
        throw this.error(`unexpected '${t.text}'`);
      case 'ident':
        break;
      default:
        throw this.error('expected an expression');
    }
    switch (t.upper) {
      case 'NULL':
        this.i++;
        return this.node(t, { t: 'null' });
      case 'TRUE':
      case 'FALSE':
        this.i++;
        return this.node(t, { t: 'bool', value: t.upper === 'TRUE' });
      case 'CASE':
        return this.caseExpr();
      case 'EXISTS':
        return this.exists(t, false);
      case 'CAST':
        if (this.isOp('(', this.peek())) return this.cast();
        break;
      case 'NOT':
        return this.not();
      case 'SELECT':
        throw this.unsupported('subqueries');
      case 'CURRENT_TIME':
      case 'CURRENT_DATE':
      case 'CURRENT_TIMESTAMP':
        return this.currentTime();
      case 'RAISE':
        throw this.unsupported(t.upper);
    }
    if (this.isOp('(', this.peek())) return this.call();
    if (RESERVED.has(t.upper)) throw this.error(`unexpected keyword ${t.upper}`);
    return this.columnRef(false);
  }

  /** SQLite defines CURRENT_TIME, CURRENT_DATE and CURRENT_TIMESTAMP as time/date/datetime('now'). */
  private currentTime(): SqlExpr {
    const t = this.next();
    const name = t.upper === 'CURRENT_TIME' ? 'time' : t.upper === 'CURRENT_DATE' ? 'date' : 'datetime';
    const now = this.node(t, { t: 'str', value: 'now' });
    return this.node(t, { t: 'call', name, args: [now], star: false, distinct: false, filter: null });
  }

  private cast(): SqlExpr {
    const t = this.next();
    this.expectOp('(');
    const arg = this.expr();
    this.expectWord('AS');
    const words: string[] = [];
    while (this.tok.kind === 'ident' || this.tok.kind === 'qident')
      words.push(this.next().text.toUpperCase());
    // SQLite accepts an empty type name here (NUMERIC affinity).
    let typeName = words.join(' ');
    if (words.length > 0 && this.acceptOp('(')) {
      const args: string[] = [];
      do {
        let sign = '';
        if (this.isOp('-') || this.isOp('+')) sign = this.next().text;
        if (this.tok.kind !== 'number') throw this.error('expected a number in the type');
        args.push(sign + this.next().text);
      } while (this.acceptOp(','));
      this.expectOp(')');
      typeName += `(${args.join(',')})`;
    }
    this.expectOp(')');
    return this.node(t, { t: 'cast', arg, typeName });
  }

  private caseExpr(): SqlExpr {
    const t = this.next();
    const base = this.isWord('WHEN') ? null : this.expr();
    const whens: { when: SqlExpr; then: SqlExpr }[] = [];
    while (this.acceptWord('WHEN')) {
      const when = this.expr();
      this.expectWord('THEN');
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) throw this.error('expected WHEN');
    const otherwise = this.acceptWord('ELSE') ? this.expr() : null;
    this.expectWord('END');
    return this.node(t, { t: 'case', base, whens, otherwise });
  }

  private parenthesized(): SqlExpr {
    const open = this.next();
    if (this.isAnyWord(['SELECT', 'VALUES', 'WITH'])) {
      const query = this.subqueryBody();
      return this.node(open, { t: 'subquery', mode: 'scalar', query, arg: null, not: false });
    }
    const inner = this.expr();
    if (this.isOp(',')) {
      const items = [inner];
      while (this.acceptOp(',')) items.push(this.expr());
      this.expectOp(')');
      return this.node(open, { t: 'row', items });
    }
    this.expectOp(')');
    // Keep the inner node (so `(a)` is still a column reference) but widen its span.
    return { ...inner, start: open.start, end: this.prev.end };
  }

  private call(): SqlExpr {
    const t = this.next();
    this.expectOp('(');
    let star = false;
    let distinct = false;
    const args: SqlExpr[] = [];
    if (this.acceptOp('*')) star = true;
    else if (this.acceptWord('ORDER')) {
      // SQLite parses an ORDER BY in a call without arguments and drops it, unresolved:
      // `row_number(ORDER BY x) OVER ()` numbers rows as `row_number() OVER ()` does.
      this.expectWord('BY');
      orderItems(this);
    } else if (!this.isOp(')')) {
      distinct = this.acceptWord('DISTINCT');
      if (!distinct) this.acceptWord('ALL');
      do args.push(this.expr());
      while (this.acceptOp(','));
    }
    let orderBy: OrderItem[] | undefined;
    if (!star && args.length > 0 && this.acceptWord('ORDER')) {
      this.expectWord('BY');
      orderBy = orderItems(this);
    }
    this.expectOp(')');
    let filter: SqlExpr | null = null;
    if (this.acceptWord('FILTER')) {
      this.expectOp('(');
      this.expectWord('WHERE');
      filter = this.expr();
      this.expectOp(')');
    }
    const over = parseOver(this);
    return this.node(t, {
      t: 'call',
      name: t.text,
      args,
      star,
      distinct,
      filter,
      ...(orderBy === undefined ? {} : { orderBy }),
      ...(over === undefined ? {} : { over }),
    });
  }

  private columnRef(quoted: boolean): SqlExpr {
    const first = this.tok;
    const parts = [this.name('a column name')];
    while (this.isOp('.') && (this.peek().kind === 'ident' || this.peek().kind === 'qident')) {
      this.i++;
      parts.push(this.name('a column name'));
    }
    return this.node(first, { t: 'col', parts, quoted });
  }
}
