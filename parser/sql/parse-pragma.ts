/**
 * PRAGMA grammar (SQLite's): `PRAGMA [schema.]name`, `PRAGMA [schema.]name = value` and
 * `PRAGMA [schema.]name(value)`, where the value is a name, keyword, string or signed number.
 * Which pragmas exist and what their values mean is decided in parser/lower-pragma.ts.
 */
import type { PragmaAst } from './ast';
import type { ExprParser } from './parse-expr';

function pragmaValue(p: ExprParser): string {
  const t = p.tok;
  if (p.isOp('-') || p.isOp('+')) {
    const sign = p.next().text;
    if (p.tok.kind !== 'number') throw p.error('expected a number');
    return (sign === '-' ? '-' : '') + p.next().text;
  }
  if (t.kind === 'number' || t.kind === 'string' || t.kind === 'ident' || t.kind === 'qident') {
    p.next();
    return t.text;
  }
  throw p.error('expected a pragma value');
}

export function parsePragma(p: ExprParser): PragmaAst {
  const start = p.tok.start;
  p.expectWord('PRAGMA');
  let schema: string | null = null;
  let name = p.name('a pragma name');
  if (p.acceptOp('.')) {
    schema = name;
    name = p.name('a pragma name');
  }
  let value: string | null = null;
  let hasValue = false;
  if (p.acceptOp('=')) {
    value = pragmaValue(p);
    hasValue = true;
  } else if (p.acceptOp('(')) {
    value = pragmaValue(p);
    p.expectOp(')');
    hasValue = true;
  }
  return { t: 'pragma', schema, name, value, hasValue, start, end: p.prev.end };
}
