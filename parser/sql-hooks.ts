/**
 * What storage needs from the SQL layer to read a catalog: the compilers of expression and partial
 * indexes and of generated columns (storage cannot import upward). Called by every Database open
 * and the file checker before an engine reads a catalog: a call, not an import's side effect, so
 * no bundler can drop it. Idempotent.
 */
import { installIndexSql } from './index-sql';
import { compileGeneratedColumns } from './generated-sql';
import { setGeneratedCompiler } from '../storage/generated-columns';

export function installSqlHooks(): void {
  installIndexSql();
  setGeneratedCompiler(compileGeneratedColumns);
}
