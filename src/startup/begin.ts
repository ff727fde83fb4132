/**
 * Imported first by each entry point (index.ts, the CLI, the async worker): the package's modules
 * imported after it load through the V8 code cache (code-cache.ts). end.ts removes the hook.
 */
import { beginCodeCache } from './code-cache';

beginCodeCache();
