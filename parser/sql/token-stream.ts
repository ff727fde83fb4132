/**
 * Cursor over the token list shared by the statement, DDL and expression parsers: keyword and
 * operator matching, identifiers, and the two error kinds the grammar raises (a positioned
 * SYNTAX QueryError for malformed text, a NotSupportedError naming a valid but unsupported
 * construct).
 */
import { NotSupportedError, QueryError } from '../../src/errors';
import { syntaxError } from './lexer';
import type { Token } from './lexer';

/** Words that end an expression or a select item when they appear bare. */
export const RESERVED: ReadonlySet<string> = new Set([
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

/** SQLite's SQLITE_MAX_COLUMN: columns of a table, an index or a result, terms of GROUP BY / ORDER BY. */
export const MAX_COLUMNS = 2000;

export class TokenStream {
  i = 0;

  constructor(
    readonly sql: string,
    private readonly toks: readonly Token[],
  ) {}

  get tok(): Token {
    return this.toks[this.i];
  }

  /** The token `k` ahead (the final EOF token when past the end). */
  peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  /** The last consumed token (for span ends). */
  get prev(): Token {
    return this.toks[Math.max(this.i - 1, 0)];
  }

  next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  isWord(w: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && t.upper === w;
  }

  isAnyWord(words: readonly string[], t: Token = this.tok): boolean {
    return t.kind === 'ident' && words.includes(t.upper);
  }

  isOp(o: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.text === o;
  }

  acceptWord(w: string): boolean {
    if (!this.isWord(w)) return false;
    this.i++;
    return true;
  }

  acceptOp(o: string): boolean {
    if (!this.isOp(o)) return false;
    this.i++;
    return true;
  }

  expectWord(w: string): Token {
    if (!this.isWord(w)) throw this.error(`expected ${w}`);
    return this.next();
  }

  expectOp(o: string): Token {
    if (!this.isOp(o)) throw this.error(`expected '${o}'`);
    return this.next();
  }

  /** SQLite's error for a list past one of its limits (`what` in SQLite's words). */
  limitError(what: string, offset: number): QueryError {
    return new QueryError(what, 'QUERY', { sql: this.sql, offset });
  }

  error(message: string, at: Token = this.tok): QueryError {
    return syntaxError(
      this.sql,
      at.start,
      at.kind === 'eof' ? `${message} but the statement ended` : message,
    );
  }

  unsupported(what: string): NotSupportedError {
    return new NotSupportedError(`${what} is not supported by ModelVault's SQL subset`, 'NOT_SUPPORTED', {
      sql: this.sql,
      offset: this.tok.start,
    });
  }

  /** Whether the current token can be a name: quoted, or a bare word that is not reserved. */
  atName(): boolean {
    const t = this.tok;
    return t.kind === 'qident' || (t.kind === 'ident' && !RESERVED.has(t.upper));
  }

  /** An identifier; SQLite also accepts a string literal where it expects a name. */
  name(what = 'a name'): string {
    const t = this.tok;
    if (this.atName() || t.kind === 'string') {
      this.i++;
      return t.text;
    }
    throw this.error(`expected ${what}`);
  }

  /**
   * The names the statement qualifies with a schema (`main.t`, `temp.t`), lower-cased: the
   * connection looks those up in that schema only (cursor/temp-schema.ts).
   */
  readonly schemas = new Map<string, 'main' | 'temp'>();
  /** Table names the statement also uses unqualified, lower-cased. */
  readonly unqualified = new Set<string>();

  /** `main` or `temp` for a `schema.` qualifier; any other schema is refused. */
  schemaQualifier(name: string, kind: string): 'main' | 'temp' {
    const lower = name.toLowerCase();
    if (lower !== 'main' && lower !== 'temp') throw this.unsupported(`schema-qualified ${kind} names`);
    return lower;
  }

  /**
   * A table, view or index name, which `main.` or `temp.` may qualify (SQLite's database of the
   * connection and its temporary one). Any other schema (an attached one) is a NotSupportedError
   * naming `kind`.
   */
  objectName(what: string, kind: string): string {
    const first = this.name(what);
    if (!this.isOp('.')) {
      this.unqualified.add(first.toLowerCase());
      return first;
    }
    const schema = this.schemaQualifier(first, kind);
    this.i++;
    const name = this.name(what);
    this.schemas.set(name.toLowerCase(), schema);
    return name;
  }

  /** `a` or `a.b.c` (nested paths in INSERT/UPDATE/CREATE INDEX column lists). */
  dottedName(what = 'a column name'): string {
    const parts = [this.name(what)];
    while (this.acceptOp('.')) parts.push(this.name(what));
    return parts.join('.');
  }
}
