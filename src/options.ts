/**
 * Option checking for every public entry point, in labelled phases: unknown keys first (with the
 * closest known name as the fix), then each value's type. Misspelled options never pass silently.
 */
import { InterfaceError } from './errors';
import type { RecoveryMode } from '../storage/engine';

export interface OpenOptions {
  /** Open without the writer lock; never modifies the file. Default false. */
  readOnly?: boolean;
  /** Torn-tail handling on open. Default 'autoTruncate' for writers, 'strict' for read-only. */
  recovery?: RecoveryMode;
  /** Return int64/uint64 values as bigint. Default false (number when safe, DataError otherwise). */
  safeIntegers?: boolean;
  /**
   * Deprecated and ignored: a writer's lock is taken over only when its process is gone, however
   * long it was busy. Still accepted so existing code keeps working.
   */
  lockStaleMs?: number;
  /** How long a writer waits for another process's writer lock before LockError. Default 0 (at once). */
  busyTimeoutMs?: number;
  /** Decoded-row cache budget in bytes. Default 64 MiB. */
  cacheBytes?: number;
  /**
   * Checkpoint automatically once this much log follows the last checkpoint (and at least 4× the
   * last checkpoint's size). Default 64 MiB; 0 disables automatic checkpoints.
   */
  checkpointEveryBytes?: number;
  /**
   * The most log a killed writer can leave for the next open to replay: past it a commit
   * checkpoints whatever the 4× spacing says. Default 64 MiB; 0: no bound beyond the spacing.
   */
  replayLimitBytes?: number;
  /** The same bound in log frames (about one per row written). Default 250,000; 0: none. */
  replayLimitFrames?: number;
  /**
   * Past this much log after the last checkpoint a commit writes a light checkpoint: the
   * primary-key pages only, so a killed writer's next open replays at most about this much.
   * Secondary indexes stay at the last full checkpoint and catch up from the log when first used.
   * Default 512 KiB; 0: none (docs/operations.md "Checkpoints").
   */
  lightCheckpointBytes?: number;
  /** The most log secondary indexes may lag behind before a full checkpoint. Default 256 MiB. */
  indexLagLimitBytes?: number;
  /**
   * A writer idle this long after a commit checkpoints when more than 64 KiB of log follow the
   * last checkpoint, so a process killed while idle leaves nothing to replay. Default 1000; 0: never.
   */
  checkpointIdleMs?: number;
  /**
   * Enforce foreign keys on this handle's writes (default true; docs/sql.md "Foreign keys"). SQL
   * connections switch it with `PRAGMA foreign_keys`.
   */
  foreignKeys?: boolean;
}

/** A value kind: boolean, non-negative number, or one of a list of strings. */
type Kind = 'boolean' | 'number' | readonly string[];
export type OptionSpec = Record<string, Kind>;

export const OPEN_OPTIONS: OptionSpec = {
  readOnly: 'boolean',
  recovery: ['strict', 'autoTruncate'],
  safeIntegers: 'boolean',
  lockStaleMs: 'number',
  busyTimeoutMs: 'number',
  cacheBytes: 'number',
  checkpointEveryBytes: 'number',
  replayLimitBytes: 'number',
  replayLimitFrames: 'number',
  lightCheckpointBytes: 'number',
  indexLagLimitBytes: 'number',
  checkpointIdleMs: 'number',
  foreignKeys: 'boolean',
};

function closest(name: string, known: string[]): string | undefined {
  const lower = name.toLowerCase();
  return (
    known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => k.toLowerCase().startsWith(lower.slice(0, 4)))
  );
}

/**
 * Validate an options object against `spec`; returns a copy of its own known options, typed. Only
 * own properties count: an inherited `readOnly` is not an option, and a JSON `"__proto__"` key is
 * an unknown option like any other (it used to reach a prototype lookup and throw a TypeError).
 */
export function checkOptions<T extends object>(where: string, opts: unknown, spec: OptionSpec): T {
  if (opts === undefined || opts === null) return {} as T;
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new InterfaceError(`${where}: options must be an object`, 'BAD_OPTION');
  }
  const known = Object.keys(spec);
  const given = opts as Record<string, unknown>;
  // Phase 1: names.
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(spec, key)) {
      const hint = closest(key, known);
      throw new InterfaceError(
        `${where}: unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; known options: ${known.join(', ')}`,
        'BAD_OPTION',
      );
    }
  }
  // Phase 2: values.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    const value = given[key];
    if (value === undefined) continue;
    const kind = spec[key];
    const ok =
      kind === 'boolean'
        ? typeof value === 'boolean'
        : kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value) && value >= 0
          : typeof value === 'string' && kind.includes(value);
    if (!ok) {
      const expected =
        kind === 'number'
          ? 'a non-negative number'
          : kind === 'boolean'
            ? 'a boolean'
            : kind.map((k) => `'${k}'`).join(' or ');
      throw new InterfaceError(
        `${where}: option '${key}' must be ${expected}, got ${describeValue(value)}`,
        'BAD_OPTION',
      );
    }
    out[key] = value;
  }
  return out as T;
}

/** String(v) throws for symbols and objects without a prototype; an error message must not. */
function describeValue(v: unknown): string {
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  if (typeof v === 'symbol') return 'a symbol';
  return String(v);
}
