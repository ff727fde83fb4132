/** The EXPLAIN lines of `sql` on a connection, joined by newlines (plan assertions in tests). */
import type { Connection } from '../../src/index';

export function explain(conn: Connection, sql: string, params: unknown[] = []): string {
  return conn
    .cursor()
    .execute(`EXPLAIN ${sql}`, params)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]))
    .join('\n');
}
