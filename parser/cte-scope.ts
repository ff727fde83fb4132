/**
 * The CTEs in scope while a statement is lowered: a WITH clause pushes its CTEs for the query it
 * starts (parser/lower-cte.ts lowers their bodies where they are read).
 */
import { QueryError } from '../src/errors';
import type { WithAst } from './sql/ast';
import type { CteEntry, ParamCollector } from './params';

/** Run `fn` with the CTEs of `w` in scope. */
export function withCtes<T>(w: WithAst | undefined, params: ParamCollector, sql: string, fn: () => T): T {
  if (!w) return fn();
  const seen = new Set<string>();
  for (const c of w.ctes) {
    const key = c.name.toLowerCase();
    if (seen.has(key))
      throw new QueryError(`duplicate WITH table name: ${c.name}`, 'QUERY', { sql, offset: c.start });
    seen.add(key);
  }
  const prev = params.ctes;
  const visible = prev.length + w.ctes.length;
  params.ctes = [
    ...prev,
    ...w.ctes.map((c): CteEntry => ({
      name: c.name,
      columns: c.columns,
      query: c.query,
      visible,
      lowering: false,
      working: null,
      ...(c.notMaterialized ? { notMaterialized: true } : {}),
    })),
  ];
  try {
    return fn();
  } finally {
    params.ctes = prev;
  }
}

/** The innermost CTE in scope called `name`, or undefined. */
export function findCte(params: ParamCollector, name: string): CteEntry | undefined {
  const key = name.toLowerCase();
  for (let i = params.ctes.length - 1; i >= 0; i--)
    if (params.ctes[i].name.toLowerCase() === key) return params.ctes[i];
  return undefined;
}
