/**
 * A statement nested so deeply (a long chain of CTEs, subqueries within subqueries) that
 * compiling or running it exhausted the JavaScript stack: a QueryError naming the cause, never
 * the engine's RangeError. SQLite's own limits (expression depth 1000, 500 compound terms, 200
 * FROM terms, 64 tables in a join) are checked while parsing; this catches what they do not.
 */
import { QueryError } from '../src/errors';

export function tooComplexError(err: unknown, sql?: string): QueryError | null {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return null;
  return new QueryError('statement is too complex: it nests too deeply to compile or run', 'QUERY', {
    ...(sql === undefined ? {} : { sql }),
    cause: err,
  });
}
