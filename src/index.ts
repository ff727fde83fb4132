/**
 * Public entry point: wiring and re-exports only. The first and last imports bracket the loading
 * of the package's modules with its V8 code cache (src/startup/code-cache.ts): keep them first
 * and last.
 * @module
 */
import './startup/begin';
export { version } from './version';
export { Database } from './database';
export {
  connect,
  Connection,
  Cursor,
  apilevel,
  threadsafety,
  paramstyle,
  STRING,
  BINARY,
  NUMBER,
  DATETIME,
  ROWID,
  Date,
  Time,
  Timestamp,
  DateFromTicks,
  TimeFromTicks,
  TimestampFromTicks,
  Binary,
} from '../cursor/index';
export type {
  ConnectOptions,
  CursorState,
  ResultRow,
  ObjectRow,
  ColumnDescription,
  TypeCode,
} from '../cursor/index';
export type { OpenOptions, RegisteredCollection, CollectionOptions } from './database';
export type { ForeignKeyDescriptor, ForeignKeyAction } from '../storage/schema/foreign-keys';
export { Query } from './query';
export type { Condition, WhereOp, QueryRunOptions } from './query';
export * from './errors';
// PEP 249 names the base class of every error the module raises `Error` (module attribute).
export { ModelVaultError as Error } from './errors';
export type {
  PrimitiveTypeName,
  TypeDescriptor,
  Constraint,
  FieldDescriptor,
  GeneratedColumn,
  IndexDescriptor,
  Collation,
  ConflictAlgorithm,
} from '../storage/schema/descriptors';
export type { RecoveryMode } from '../storage/engine';
export { channels } from '../storage/trace';
export type {
  QueryTraceContext,
  CommitTraceContext,
  CheckpointTraceContext,
  CompactTraceContext,
  OpenTraceContext,
  OpenRecoverySummary,
} from '../storage/trace';
export {
  AsyncDatabase,
  AsyncTransaction,
  AsyncQuery,
  AsyncModelCollection,
  connectAsync,
  AsyncConnection,
  AsyncCursor,
} from './async/index';
export type {
  AsyncOpenOptions,
  AsyncConnectOptions,
  AsyncPoolOptions,
  StatementOptions,
  AsyncQueryOptions,
  AsyncIterateOptions,
} from './async/index';
export * from './models/index';
export type { InsertOptions } from './database';
export type {
  SchemaPlan,
  SchemaStep,
  ChangeClass,
  SchemaVersionInput,
  SchemaVersionInfo,
  SchemaChange,
  BackfillOptions,
} from './schema-versions';

import './startup/end';
