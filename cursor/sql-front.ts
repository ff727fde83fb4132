/**
 * The SQL front end (parser, binder, lowering), loaded when the first statement is prepared
 * rather than with the package: an application that only uses the typed API never compiles it,
 * which is about a tenth of the package's load time in a fresh process (docs/performance.md,
 * "Open in a fresh process").
 */
import type { lowerStatement } from '../parser/lower-statement';
import type { StatementCache } from '../parser/statement-cache';

interface SqlFront {
  lowerStatement: typeof lowerStatement;
  StatementCache: typeof StatementCache;
}

let front: SqlFront | null = null;

export function sqlFront(): SqlFront {
  if (front === null) {
    /* eslint-disable @typescript-eslint/no-require-imports -- deferred on purpose (see the header) */
    const lower = require('../parser/lower-statement') as typeof import('../parser/lower-statement');
    const cache = require('../parser/statement-cache') as typeof import('../parser/statement-cache');
    /* eslint-enable @typescript-eslint/no-require-imports */
    front = { lowerStatement: lower.lowerStatement, StatementCache: cache.StatementCache };
  }
  return front;
}
