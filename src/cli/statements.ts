/**
 * Splits SQL text into statements at top-level semicolons, skipping those inside string
 * literals, quoted names and comments. The shell uses it to know when a multi-line statement is
 * complete, `.read` and `sql` to run scripts statement by statement.
 */

export interface SplitResult {
  /** Complete statements, trimmed, without their semicolons; empty ones dropped. */
  statements: string[];
  /** Text after the last semicolon (an unfinished statement), trimmed. */
  rest: string;
}

export function splitStatements(text: string): SplitResult {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      i = closing(text, i + 1, c);
    } else if (c === '[') {
      const end = text.indexOf(']', i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      const stmt = text.slice(start, i).trim();
      if (stmt && !onlyComments(stmt)) statements.push(stmt);
      start = ++i;
    } else {
      i++;
    }
  }
  const rest = text.slice(start).trim();
  return { statements, rest: onlyComments(rest) ? '' : rest };
}

/** Index just past the quote that closes one opened before `from` (a doubled quote is an escape). */
function closing(text: string, from: number, quote: string): number {
  let i = from;
  for (;;) {
    const end = text.indexOf(quote, i);
    if (end < 0) return text.length;
    if (text[end + 1] === quote) {
      i = end + 2;
      continue;
    }
    return end + 1;
  }
}

function onlyComments(sql: string): boolean {
  return (
    sql
      .replace(/--[^\n]*(\n|$)/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}
