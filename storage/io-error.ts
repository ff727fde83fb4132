/**
 * The one mapping of a failed file-system call to the error users see (docs/errors.md): `FULL`
 * when the disk or a quota has no room left (SQLite's "database or disk is full"), `IO` for
 * anything else. Every module that touches files directly (the database file, a large
 * transaction's spill file, an operator's temporary segments, snapshot copies) throws through it,
 * so no bare `Error` from `node:fs` reaches the caller.
 */
import { OperationalError } from '../src/errors';

/** Error codes of a file system that has no room left (space, quota, largest file). */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export function ioError(message: string, cause: unknown): OperationalError {
  if (cause instanceof OperationalError) return cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && NO_ROOM.has(code))
    return new OperationalError(`database or disk is full: ${message}${detail}`, 'FULL', { cause });
  return new OperationalError(message + detail, 'IO', { cause });
}

/** Run `fn`, a file-system call, turning its failure into ioError(`message`). */
export function io<T>(message: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw ioError(message, err);
  }
}
