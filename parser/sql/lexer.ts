/**
 * SQL tokenizer for the SQLite-flavoured subset. Every token keeps its source offsets: errors
 * report line:column, and result columns are named by their exact source text (SQLite's rule).
 * Strings use '' escapes; identifiers may be quoted with "", `` or []; comments are -- and /* *\/.
 */
import { QueryError } from '../../src/errors';

export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'blob' | 'param' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name (unquoted), string contents, number text, blob hex, param spec, operator. */
  text: string;
  /** Upper-cased text for bare identifiers (keyword matching). */
  upper: string;
  start: number;
  end: number;
}

// Longest first: '->>' before '->', '<<' before '<>' and '<', '||' before '|'.
const OPS = [
  '->>',
  '->',
  '<<',
  '>>',
  '<>',
  '<=',
  '>=',
  '!=',
  '==',
  '||',
  '&',
  '|',
  '~',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  '.',
  ';',
];

export function position(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column} (offset ${offset})`;
}

export function syntaxError(sql: string, offset: number, message: string): QueryError {
  const near = sql.slice(offset, offset + 20).split('\n')[0];
  return new QueryError(`${message} at ${position(sql, offset)}${near ? ` near "${near}"` : ''}`, 'SYNTAX', {
    sql,
    offset,
  });
}

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\u0080-\uffff]/.test(c);
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

/**
 * The SQL text SQLite would read: it takes SQL as a C string, so a NUL ends it whatever follows
 * (better-sqlite3 runs `SELECT 1\0 junk` as `SELECT 1`, and `'a\0b'` is an unterminated literal).
 * The parser's entry points (parse.ts) cut user text with it before tokenizing.
 */
export function sqlText(source: string): string {
  const nul = source.indexOf('\0');
  return nul < 0 ? source : source.slice(0, nul);
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  const push = (kind: TokenKind, text: string, start: number, end: number): void => {
    tokens.push({ kind, text, upper: kind === 'ident' ? text.toUpperCase() : text, start, end });
  };
  while (i < n) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      // An unterminated block comment runs to the end of the input, as in SQLite.
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    const start = i;
    if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError(sql, start, 'unterminated string literal');
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      push('string', text, start, i);
      continue;
    }
    if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let text = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError(sql, start, 'unterminated quoted identifier');
        if (sql[i] === close) {
          if (close !== ']' && sql[i + 1] === close) {
            text += close;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      push('qident', text, start, i);
      continue;
    }
    if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      const close = sql.indexOf("'", i + 2);
      if (close < 0) throw syntaxError(sql, i, 'unterminated blob literal');
      const hex = sql.slice(i + 2, close);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw syntaxError(sql, i, 'malformed blob literal');
      i = close + 1;
      push('blob', hex, start, i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
        i += 2;
        while (i < n && /[0-9a-fA-F]/.test(sql[i])) i++;
        // SQLite: `0x` with no digits is an unrecognized token, not zero.
        if (i === start + 2) throw syntaxError(sql, start, 'malformed hexadecimal literal');
      } else {
        while (i < n && /[0-9]/.test(sql[i])) i++;
        if (sql[i] === '.') {
          i++;
          while (i < n && /[0-9]/.test(sql[i])) i++;
        }
        if (sql[i] === 'e' || sql[i] === 'E') {
          const save = i;
          i++;
          if (sql[i] === '+' || sql[i] === '-') i++;
          if (!/[0-9]/.test(sql[i] ?? '')) i = save;
          else while (i < n && /[0-9]/.test(sql[i])) i++;
        }
      }
      if (i < n && isIdentPart(sql[i])) throw syntaxError(sql, start, 'malformed number');
      push('number', sql.slice(start, i), start, i);
      continue;
    }
    if (c === '?') {
      i++;
      while (i < n && /[0-9]/.test(sql[i])) i++;
      push('param', sql.slice(start, i), start, i);
      continue;
    }
    if ((c === ':' || c === '@' || c === '$') && isIdentStart(sql[i + 1] ?? '')) {
      i++;
      while (i < n && isIdentPart(sql[i])) i++;
      push('param', sql.slice(start, i), start, i);
      continue;
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(sql[i])) i++;
      push('ident', sql.slice(start, i), start, i);
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (!op) throw syntaxError(sql, i, `unexpected character '${c}'`);
    i += op.length;
    push('op', op, start, i);
  }
  tokens.push({ kind: 'eof', text: '', upper: '', start: n, end: n });
  return tokens;
}
