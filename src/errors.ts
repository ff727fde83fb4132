/**
 * The error hierarchy (SPEC §4), shaped after PEP 249. This is the one module every layer may
 * import. Every error carries a stable string `code`; the table lives in docs/errors.md and the
 * `ErrorCode` union below is its source of truth.
 *
 *   ModelVaultError (PEP 249 Error)
 *   ├── InterfaceError
 *   └── DatabaseError
 *       ├── DataError ── ValidationError
 *       ├── OperationalError ── TransactionError, LockError
 *       ├── IntegrityError
 *       ├── InternalError
 *       ├── ProgrammingError ── SchemaError, QueryError
 *       ├── NotSupportedError
 *       └── FormatError
 *   Warning (separate, as in PEP 249)
 */

export type ErrorCode =
  // InterfaceError
  | 'INTERFACE'
  | 'CLOSED'
  | 'BAD_OPTION'
  // DataError
  | 'DATA'
  | 'TYPE_MISMATCH'
  | 'VALIDATION'
  | 'INT_PRECISION'
  | 'VALUE_TOO_LARGE'
  // OperationalError
  | 'OPERATIONAL'
  | 'IO'
  | 'FULL'
  | 'BUSY'
  | 'LOCKED'
  | 'LOCK_LOST'
  | 'READ_ONLY'
  | 'TRANSACTION'
  | 'NESTED_TRANSACTION'
  | 'WORKER_EXITED'
  | 'INTERRUPTED'
  | 'RECURSION_LIMIT'
  // IntegrityError
  | 'UNIQUE'
  | 'PRIMARY_KEY'
  | 'NOT_NULL'
  | 'CHECK'
  | 'FOREIGN_KEY'
  // InternalError
  | 'INTERNAL'
  | 'STALE_INDEX'
  // ProgrammingError
  | 'PROGRAMMING'
  | 'SCHEMA'
  | 'NO_SUCH_COLLECTION'
  | 'NO_SUCH_INDEX'
  | 'QUERY'
  | 'SYNTAX'
  | 'PARAMETER'
  | 'NO_RESULT_SET'
  | 'SYSTEM_TABLE'
  // NotSupportedError
  | 'NOT_SUPPORTED'
  // FormatError
  | 'FORMAT'
  | 'CORRUPT'
  | 'TORN_TAIL'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION';

export interface ErrorDetails {
  /** Field path (dotted) a validation error is about. */
  path?: string;
  /** SQL text the error came from, when it came from a statement. */
  sql?: string;
  /** Byte offset in the file for format errors. */
  offset?: number;
  /** The underlying error, e.g. an fs error. */
  cause?: unknown;
}

export class ModelVaultError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly sql: string | undefined;
  readonly offset: number | undefined;

  constructor(message: string, code: ErrorCode = 'INTERFACE', details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.path = details.path;
    this.sql = details.sql;
    this.offset = details.offset;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

export class InterfaceError extends ModelVaultError {
  constructor(message: string, code: ErrorCode = 'INTERFACE', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class DatabaseError extends ModelVaultError {
  constructor(message: string, code: ErrorCode = 'OPERATIONAL', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class DataError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'DATA', details?: ErrorDetails) {
    super(message, code, details);
  }
}

/** A value failed its field's type or a constraint; `path` names the field. */
export class ValidationError extends DataError {
  declare readonly path: string;
  constructor(message: string, path: string, code: ErrorCode = 'VALIDATION') {
    super(message, code, { path });
  }
}

export class OperationalError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'OPERATIONAL', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class TransactionError extends OperationalError {
  constructor(message: string, code: ErrorCode = 'TRANSACTION', details?: ErrorDetails) {
    super(message, code, details);
  }
}

/** The cross-process writer lock is held by someone else (or was lost). */
export class LockError extends OperationalError {
  /** `LOCKED`: another writer holds the file. `LOCK_LOST`: this writer was displaced and stopped writing. */
  constructor(message: string, details?: ErrorDetails, code: 'LOCKED' | 'LOCK_LOST' = 'LOCKED') {
    super(message, code, details);
  }
}

export class IntegrityError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'UNIQUE', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class InternalError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'INTERNAL', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class ProgrammingError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'PROGRAMMING', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class SchemaError extends ProgrammingError {
  constructor(message: string, code: ErrorCode = 'SCHEMA', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class QueryError extends ProgrammingError {
  constructor(message: string, code: ErrorCode = 'QUERY', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export class NotSupportedError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'NOT_SUPPORTED', details?: ErrorDetails) {
    super(message, code, details);
  }
}

/** The file is not a ModelVault file, is corrupt, or needs recovery that `strict` forbids. */
export class FormatError extends DatabaseError {
  constructor(message: string, code: ErrorCode = 'FORMAT', details?: ErrorDetails) {
    super(message, code, details);
  }
}

/** PEP 249 Warning: not an error, never thrown by the engine for bad input. */
export class Warning extends Error {
  readonly code = 'WARNING' as const;
  override get name(): string {
    return 'Warning';
  }
}
