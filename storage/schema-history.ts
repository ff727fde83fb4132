/**
 * The catalog's record of a collection's schema versions: when each was registered and what kind
 * of change it was (issue 16 item 4, docs/format.md §3.1 and §4). Every PUT_COLLECTION carries the
 * collection's whole known history, and so does its checkpoint entry, so compaction, salvage and
 * replay from any point keep it. Files written before the history existed (formats 1.0–1.2 by
 * older writers) carry none: their versions are listed with an unknown time and change.
 */

/**
 * What a schema version changed: `create` (the collection was registered or created), the
 * classification of a registered schema version or SQL `ALTER` (`compatible`, `needsMigration`,
 * `breaking`), or `rebuildIndexes` (db.rebuildIndexes()).
 */
export type SchemaChange = 'create' | 'compatible' | 'needsMigration' | 'breaking' | 'rebuildIndexes';

export interface SchemaVersionRecord {
  readonly version: number;
  /** Milliseconds since the Unix epoch, taken when the version was staged in its transaction. */
  readonly time: number;
  /** A newer writer may record a kind this one does not name; it is kept as written. */
  readonly change: SchemaChange;
}

/** A timestamp's range, as for timestamp fields (docs/format.md §3.2). */
const MAX_TIME = 8.64e15;
/** Longest change kind a reader accepts (newer writers may add kinds; none is near this). */
const MAX_CHANGE_LENGTH = 64;

/** `previous` (versions below `version` only) with `version` recorded now. */
export function withVersion(
  previous: readonly SchemaVersionRecord[] | undefined,
  version: number,
  change: SchemaChange,
  now: number = Date.now(),
): SchemaVersionRecord[] {
  const kept = (previous ?? []).filter((r) => r.version < version);
  return [...kept, { version, time: now, change }];
}

/** The stored shape: `[schemaVersion, timeMs, change]` triples in version order. */
export function encodeHistory(history: readonly SchemaVersionRecord[]): [number, number, string][] {
  return history.map((r) => [r.version, r.time, r.change]);
}

/**
 * The history decoded from a catalog entry or checkpoint, or null when its shape is wrong (the
 * caller reports CORRUPT): versions strictly ascending from 1 up to at most `current`, integer
 * times within the timestamp range, non-empty change strings.
 */
export function readHistory(value: unknown, current: number): SchemaVersionRecord[] | null {
  if (!Array.isArray(value)) return null;
  const out: SchemaVersionRecord[] = [];
  let last = 0;
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length < 3) return null;
    const [version, time, change] = entry as unknown[];
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= last || version > current)
      return null;
    if (typeof time !== 'number' || !Number.isInteger(time) || Math.abs(time) > MAX_TIME) return null;
    if (typeof change !== 'string' || change === '' || change.length > MAX_CHANGE_LENGTH) return null;
    out.push({ version, time, change: change as SchemaChange });
    last = version;
  }
  return out;
}

/** One entry of a listed history: time and change are null for versions the file has no record of. */
export interface SchemaVersionEntry {
  version: number;
  time: number | null;
  change: SchemaChange | null;
}

/** Versions 1..current, each with its record or nulls (older writers recorded none). */
export function listHistory(
  history: readonly SchemaVersionRecord[] | undefined,
  current: number,
): SchemaVersionEntry[] {
  const byVersion = new Map((history ?? []).map((r) => [r.version, r]));
  const out: SchemaVersionEntry[] = [];
  for (let v = 1; v <= current; v++) {
    const r = byVersion.get(v);
    out.push({ version: v, time: r ? r.time : null, change: r ? r.change : null });
  }
  return out;
}
