/**
 * `inspect` (what a file holds and how it is laid out) and `dump-catalog` (the catalog: schemas
 * and indexes). Both open read-only, so they run beside a live writer.
 */
import { readExact } from '../../storage/byte-store';
import { FileStore } from '../../storage/file-store';
import { decodeHeader, decodeSuperblock, superblockProblem } from '../../storage/header';
import type { Superblock } from '../../storage/header';
import { HEADER_SIZE, SUPERBLOCK_OFFSETS, SUPERBLOCK_SIZE } from '../../storage/format';
import { indexPaths } from '../../storage/schema/normalize';
import type { CollectionSchema, NormalizedType } from '../../storage/schema/normalize';
import type { RecoveryReport } from '../../storage/engine';
import type { CollectionMeta } from '../../storage/collection-state';
import { listHistory } from '../../storage/schema-history';
import { openReader, requireFile, using } from './open';
import { style } from './io';
import type { Io } from './io';

export interface IndexInfo {
  name: string;
  unique: boolean;
  columns: string[];
}

/** A schema version as the catalog records it; time (ISO 8601) and change are null where an older writer recorded none. */
export interface VersionInfo {
  version: number;
  time: string | null;
  change: string | null;
}

export interface CollectionInfo {
  name: string;
  id: number;
  schemaVersion: number;
  /** When the current schema version was registered (null: not recorded). */
  schemaVersionTime: string | null;
  rows: number;
  indexes: IndexInfo[];
}

export interface SuperblockInfo {
  offset: number;
  /** blank: never written (a new file's slot B); torn: a checkpoint's superblock write a crash cut. */
  state: 'current' | 'previous' | 'blank' | 'torn' | 'rejected';
  generation?: number;
  checkpointOffset?: number;
  checkpointTxnId?: number;
  problem?: string;
}

export interface InspectReport {
  file: string;
  formatVersion: string;
  fileBytes: number;
  logEnd: number;
  reservedBytes: number;
  lastTxnId: number;
  checkpoint: {
    offset: number;
    bytes: number;
    txnId: number;
    txnsSince: number;
    /** A light checkpoint (format 1.6): the full one its indexes stand at, and the log they lag by. */
    light: { baseOffset: number; logBytes: number } | null;
  } | null;
  logBytesSinceCheckpoint: number;
  userVersion: number;
  superblocks: SuperblockInfo[];
  collections: CollectionInfo[];
  recovery: RecoveryReport;
}

export function inspectFile(file: string): InspectReport {
  const st = requireFile(file);
  const { formatVersion, superblocks } = readLayout(file, st.size);
  return using(openReader(file), (conn) => {
    const engine = conn.database.storage;
    const view = engine.committedView();
    const collections = [...view.collections.values()]
      .map((c) => ({
        name: c.meta.schema.name,
        id: c.meta.id,
        schemaVersion: c.meta.version,
        schemaVersionTime: versionsOf(c.meta).at(-1)?.time ?? null,
        rows: c.pk.size,
        indexes: c.meta.schema.indexes.map(indexInfo),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const current = superblocks.find((s) => s.state === 'current');
    const checkpoint =
      current && current.checkpointOffset
        ? {
            offset: current.checkpointOffset,
            bytes: current.checkpointBytes ?? 0,
            txnId: current.checkpointTxnId ?? 0,
            txnsSince: engine.lastCommittedTxnId - (current.checkpointTxnId ?? 0),
            light: engine.indexLag,
          }
        : null;
    return {
      file,
      formatVersion,
      fileBytes: st.size,
      logEnd: engine.fileSize,
      reservedBytes: Math.max(0, st.size - engine.fileSize),
      lastTxnId: engine.lastCommittedTxnId,
      checkpoint,
      logBytesSinceCheckpoint: engine.logBytesSinceCheckpoint,
      userVersion: view.userVersion,
      superblocks: superblocks.map(({ checkpointBytes: _drop, ...rest }) => rest),
      collections,
      recovery: engine.recoveryReport,
    };
  });
}

function versionsOf(meta: CollectionMeta): VersionInfo[] {
  return listHistory(meta.history, meta.version).map((e) => ({
    version: e.version,
    time: e.time === null ? null : new Date(e.time).toISOString(),
    change: e.change,
  }));
}

function indexInfo(ix: CollectionSchema['indexes'][number]): IndexInfo {
  return { name: ix.name, unique: ix.kind === 'unique', columns: indexPaths(ix).map((p) => p.join('.')) };
}

/** The header's version and both superblock slots, read straight from the file. */
function readLayout(
  file: string,
  size: number,
): { formatVersion: string; superblocks: (SuperblockInfo & { checkpointBytes?: number })[] } {
  const store = FileStore.open(file, true, false);
  try {
    const head = readExact(store, 0, HEADER_SIZE);
    const header = head ? decodeHeader(head) : null;
    const slots = SUPERBLOCK_OFFSETS.map((offset) => {
      const bytes = readExact(store, offset, SUPERBLOCK_SIZE);
      const sb = decodeSuperblock(bytes);
      const blank = bytes !== null && bytes.every((b) => b === 0);
      return { offset, sb, blank, problem: sb ? superblockProblem(sb, size) : null };
    });
    const valid = slots.filter((s) => s.sb && s.problem === null).map((s) => s.sb as Superblock);
    const best = valid.reduce<Superblock | null>((a, b) => (a && a.generation >= b.generation ? a : b), null);
    return {
      formatVersion: header ? `${header.major}.${header.minor}` : 'unknown',
      superblocks: slots.map(({ offset, sb, blank, problem }) => {
        if (!sb) return { offset, state: blank ? ('blank' as const) : ('torn' as const) };
        const base = {
          offset,
          generation: sb.generation,
          checkpointOffset: sb.checkpointOffset,
          checkpointTxnId: sb.checkpointTxnId,
          checkpointBytes: sb.checkpointLength,
        };
        if (problem) return { ...base, state: 'rejected' as const, problem };
        return { ...base, state: sb === best ? ('current' as const) : ('previous' as const) };
      }),
    };
  } finally {
    store.close();
  }
}

export function printInspect(io: Io, r: InspectReport): void {
  const s = style(io, 'out');
  const line = (label: string, value: string): void => io.out(`${s.bold(`${label}:`.padEnd(26))}${value}\n`);
  line('file', r.file);
  line('format version', r.formatVersion);
  line('file size', bytes(r.fileBytes));
  line('log end', `offset ${r.logEnd}`);
  line('reserved space', bytes(r.reservedBytes));
  line('last transaction', String(r.lastTxnId));
  line(
    'checkpoint',
    r.checkpoint
      ? `offset ${r.checkpoint.offset} (${bytes(r.checkpoint.bytes)}), txn ${r.checkpoint.txnId}, ` +
          `${r.checkpoint.txnsSince} transaction${r.checkpoint.txnsSince === 1 ? '' : 's'} ago`
      : 'none (opening replays the whole log)',
  );
  const light = r.checkpoint?.light;
  if (light)
    line(
      'light checkpoint',
      `indexes at the full checkpoint at offset ${light.baseOffset}, ${bytes(light.logBytes)} of log behind`,
    );
  line('log since checkpoint', bytes(r.logBytesSinceCheckpoint));
  line('user_version', String(r.userVersion));
  for (const sb of r.superblocks) {
    const what =
      sb.generation === undefined
        ? sb.state
        : `${sb.state}, generation ${sb.generation}${sb.problem ? ` (${sb.problem})` : ''}`;
    line(`superblock @${sb.offset}`, what);
  }
  const rec = r.recovery;
  if (rec.truncatedFrom !== null)
    line('damaged tail', s.yellow(`from offset ${rec.truncatedFrom}: ${rec.reason}`));
  if (rec.committedAfter !== null)
    line('unreachable commits', s.red(`from offset ${rec.committedAfter} (run verify)`));
  io.out(`${s.bold(`collections (${r.collections.length}):`)}\n`);
  for (const c of r.collections) {
    io.out(
      `  ${c.name}  ${c.rows} row${c.rows === 1 ? '' : 's'}  ${s.dim(`(id ${c.id}, schema v${c.schemaVersion}, ${versionTime(c.schemaVersionTime)})`)}\n`,
    );
    for (const ix of c.indexes)
      io.out(`    ${ix.unique ? 'unique ' : ''}index ${ix.name} (${ix.columns.join(', ')})\n`);
  }
}

function versionTime(time: string | null): string {
  return time === null ? 'time not recorded' : `registered ${time}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${n} B (${v.toFixed(1)} ${units[u]})`;
}

// ───────────────────────── dump-catalog ─────────────────────────

export interface CatalogEntry {
  name: string;
  id: number;
  schemaVersion: number;
  /** Every version from 1 to schemaVersion, oldest first. */
  versions: VersionInfo[];
  primaryKey: string[];
  autoIncrement: boolean;
  fields: { path: string; type: string; constraints: unknown[]; collate?: string; default?: unknown }[];
  indexes: IndexInfo[];
  sql: string | null;
}

export function readCatalog(file: string): CatalogEntry[] {
  return using(openReader(file), (conn) => {
    const view = conn.database.storage.committedView();
    const sqlOf = new Map<string, string>();
    const rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchAll();
    for (const row of rows as unknown[][]) sqlOf.set(String(row[0]), String(row[1]));
    return [...view.collections.values()]
      .map(({ meta }) => {
        const schema = meta.schema;
        return {
          name: schema.name,
          id: meta.id,
          schemaVersion: meta.version,
          versions: versionsOf(meta),
          primaryKey: keyColumns(schema),
          autoIncrement: schema.autoIncrement === true,
          fields: schema.fields.map((f) => ({
            path: f.path.join('.'),
            type: typeText(f.type),
            constraints: f.constraints.map((c) => ({ ...c })),
            ...(f.collate ? { collate: f.collate } : {}),
            ...(f.default !== undefined ? { default: jsonSafe(f.default) } : {}),
          })),
          indexes: schema.indexes.map(indexInfo),
          sql: sqlOf.get(schema.name) ?? null,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

function keyColumns(schema: CollectionSchema): string[] {
  const key = schema.keyIndex ? schema.indexes.find((ix) => ix.name === schema.keyIndex) : undefined;
  return key ? indexPaths(key).map((p) => p.join('.')) : [schema.primaryKey.join('.')];
}

function typeText(t: NormalizedType): string {
  switch (t.kind) {
    case 'optional':
      return `${typeText(t.of)}?`;
    case 'list':
      return `list<${typeText(t.of)}>`;
    case 'object':
      return `{ ${t.fields.map((f) => `${f.path.join('.')}: ${typeText(f.type)}`).join(', ')} }`;
    case 'enum':
      return `enum(${t.values.map((v) => JSON.stringify(v)).join(', ')})`;
    default:
      return t.kind;
  }
}

function jsonSafe(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
  ) as unknown;
}

export function printCatalog(io: Io, entries: CatalogEntry[]): void {
  const s = style(io, 'out');
  for (const e of entries) {
    io.out(`${s.bold(e.name)} ${s.dim(`(id ${e.id}, schema v${e.schemaVersion})`)}\n`);
    io.out(`  primary key: ${e.primaryKey.join(', ')}${e.autoIncrement ? ' autoincrement' : ''}\n`);
    for (const f of e.fields) {
      const extra = [
        ...f.constraints.map((c) => JSON.stringify(c)),
        ...(f.collate ? [`collate ${f.collate}`] : []),
        ...(f.default !== undefined ? [`default ${JSON.stringify(f.default)}`] : []),
      ];
      io.out(`  ${f.path}: ${f.type}${extra.length ? `  ${s.dim(extra.join(' '))}` : ''}\n`);
    }
    for (const ix of e.indexes)
      io.out(`  ${ix.unique ? 'unique ' : ''}index ${ix.name} (${ix.columns.join(', ')})\n`);
    for (const v of e.versions)
      io.out(
        `  ${s.dim(`version ${v.version}: ${v.time === null ? 'not recorded' : `${v.change ?? '?'}, ${versionTime(v.time)}`}`)}\n`,
      );
    if (e.sql) io.out(`  ${s.dim(e.sql)}\n`);
  }
  if (entries.length === 0) io.out('(no collections)\n');
}
