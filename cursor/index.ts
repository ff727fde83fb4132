/** The DB-API module surface (SPEC §3): connect, module constants, classes and type objects. */
export { connect, Connection } from './connection';
export type { ObjectRow } from './connection';
export { Cursor } from './cursor';
export type { CursorState, ResultRow } from './cursor';
export type { ConnectOptions } from './options';
export { STRING, BINARY, NUMBER, DATETIME, ROWID } from './description';
export type { ColumnDescription, TypeCode } from './description';
export {
  dbDate as Date,
  dbTime as Time,
  dbTimestamp as Timestamp,
  dateFromTicks as DateFromTicks,
  timeFromTicks as TimeFromTicks,
  timestampFromTicks as TimestampFromTicks,
  dbBinary as Binary,
} from './constructors';

/** PEP 249 module globals. */
export const apilevel = '2.0';
/** Threads may share the module but not connections (PEP 249 level 1). */
export const threadsafety = 1;
/** `?` placeholders; named `:name`, `@name`, `$name` with an object work too. */
export const paramstyle = 'qmark';
