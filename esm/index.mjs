// ESM entry: re-exports the compiled CommonJS build so both module systems share one instance.
import cjs from '../dist/src/index.js';

export const {
  Database,
  ModelVaultError,
  InterfaceError,
  DatabaseError,
  DataError,
  ValidationError,
  OperationalError,
  TransactionError,
  LockError,
  IntegrityError,
  InternalError,
  ProgrammingError,
  SchemaError,
  QueryError,
  NotSupportedError,
  FormatError,
  Warning,
} = cjs;
export default cjs;
