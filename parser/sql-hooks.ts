/**
 * What storage needs from the SQL layer to read a catalog: the compilers of expression and partial
 * indexes, of generated columns and of CHECK constraints kept as SQL (storage cannot import upward). Called by every Database open
 * and the file checker before an engine reads a catalog: a call, not an import's side effect, so
 * no bundler can drop it. Idempotent.
 */
import { installIndexSql } from './index-sql';
import { compileGeneratedColumns } from './generated-sql';
import { setGeneratedCompiler } from '../storage/generated-columns';
import { compileCheckConstraints } from './check-sql';
import { setCheckCompiler } from '../storage/check-constraints';

export function installSqlHooks(): void {
  installIndexSql();
  setGeneratedCompiler(compileGeneratedColumns);
  setCheckCompiler(compileCheckConstraints);
}
