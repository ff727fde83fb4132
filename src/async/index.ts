/** The async API (SPEC §3 "Async surface"): engine work in worker threads, promises on top. */
export { AsyncDatabase, AsyncTransaction } from './database';
export { AsyncQuery } from './query';
export type { AsyncQueryOptions, AsyncIterateOptions } from './query';
export { AsyncModelCollection } from './models';
export { connectAsync, AsyncConnection } from './connection';
export { AsyncCursor } from './cursor';
export type { StatementOptions } from './cursor';
export type { AsyncOpenOptions, AsyncConnectOptions, AsyncPoolOptions } from './options';
