/**
 * Imported last by each entry point that imported begin.ts: from here on, modules (the
 * application's, and the package's own loaded later) compile the usual way.
 */
import { endCodeCache } from './code-cache';

endCodeCache();
