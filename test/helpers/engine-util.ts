/** Engine-level helpers for recovery, corruption and replay tests (no file system needed). */
import { Engine } from '../../storage/engine';
import type { EngineOptions } from '../../storage/engine';
import { MemoryStore } from '../../storage/memory-store';
import { normalizeCollection } from '../../storage/schema/normalize';
import { FRAME_HEADER_SIZE, FrameKind, LOG_START } from '../../storage/format';
import { crc32c } from '../../storage/crc32c';
import { GrowableBuffer } from '../../storage/growable-buffer';
import { writeFrame } from '../../storage/frame';
import { decodePayload, encodePayload } from '../../storage/codec';
import { unpackColumn } from '../../storage/packed-column';
import { splitDirectoryPage } from '../../storage/index-pages';

export const ITEM_SCHEMA = normalizeCollection(
  'items',
  [
    { path: 'id', type: 'int64' },
    { path: 'sku', type: 'string' },
    { path: 'qty', type: { optional: 'int64' } },
    { path: ['meta', 'tag'], type: { optional: 'string' } },
  ],
  'id',
  [
    { name: 'items_sku', path: 'sku', kind: 'unique' },
    { name: 'items_tag', path: 'meta.tag', kind: 'index' },
  ],
);

export function openBytes(bytes: Uint8Array, opts: EngineOptions = {}): Engine {
  return Engine.openStore(new MemoryStore(bytes, opts.readOnly === true), opts);
}

/** Every collection's rows (stored arrays) in primary-key order plus every index's entries. */
export function dumpState(engine: Engine): unknown {
  const out: Record<string, unknown> = {};
  for (const name of engine.collectionNames()) {
    const state = engine.collection(name);
    if (!state) continue;
    const pk = state.pk.toArrays();
    out[name] = {
      rows: pk.values.map((loc) => engine.readRow(loc)),
      indexes: Object.fromEntries(state.indexes.map((ix) => [ix.def.name, ix.tree.toArrays()])),
    };
  }
  return out;
}

/** Serialize for deep comparison (bigint and Buffer safe). */
export function canon(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')
      return `buf:${JSON.stringify(v)}`;
    return v;
  });
}

export interface BuiltLog {
  bytes: Buffer;
  /** File length after each committed transaction, in order (index 0 = after creation). */
  boundaries: number[];
  /** canon(dumpState) after each boundary. */
  states: string[];
}

/** Run `txns` write transactions on a fresh in-memory engine, recording each committed prefix. */
export function buildLog(
  txns: ((engine: Engine) => void)[],
  opts: { checkpointAfter?: number } = {},
): BuiltLog {
  const engine = Engine.openMemory();
  engine.begin();
  engine.registerCollection(ITEM_SCHEMA);
  engine.commit();
  const boundaries = [engine.fileSize];
  const states = [canon(dumpState(engine))];
  txns.forEach((fn, i) => {
    engine.begin();
    fn(engine);
    engine.commit();
    if (opts.checkpointAfter === i) engine.checkpoint();
    boundaries.push(engine.fileSize);
    states.push(canon(dumpState(engine)));
  });
  const bytes = engine.bytes();
  engine.close();
  return { bytes, boundaries, states };
}

/** Put an items row through the schema (validation included). */
export function putItem(
  engine: Engine,
  id: number,
  tag: string | null = null,
  qty: number | null = id,
): void {
  const state = engine.collection('items');
  if (!state) throw new Error('items collection missing');
  engine.putRow(state, state.compiled.toRow({ id, sku: `sku-${id}`, qty, meta: { tag } }));
}

export function deleteItem(engine: Engine, id: number): void {
  const state = engine.collection('items');
  if (!state) throw new Error('items collection missing');
  engine.deleteRow(state, id);
}

export interface FrameInfo {
  offset: number;
  kind: number;
  txnId: number;
  length: number;
}

/** Walk the frames of a well-formed log (test inspection only). */
export function listFrames(bytes: Buffer): FrameInfo[] {
  const out: FrameInfo[] = [];
  let pos = LOG_START;
  while (pos + FRAME_HEADER_SIZE <= bytes.length) {
    const length = bytes.readUInt32LE(pos);
    out.push({ offset: pos, kind: bytes[pos + 4], txnId: bytes.readUInt32LE(pos + 8), length });
    pos += FRAME_HEADER_SIZE + length;
  }
  return out;
}

/** Rewrite a frame's txn id and fix its checksum, producing a well-formed but inconsistent log. */
export function setFrameTxnId(bytes: Buffer, offset: number, txnId: number): void {
  bytes.writeUInt32LE(txnId, offset + 8);
  const length = bytes.readUInt32LE(offset);
  const crc = crc32c(
    bytes,
    offset + FRAME_HEADER_SIZE,
    offset + FRAME_HEADER_SIZE + length,
    crc32c(bytes, offset, offset + 16),
  );
  bytes.writeUInt32LE(crc, offset + 16);
}

/** Encode one standalone frame (for appending orphan markers and the like). */
export function frameBytes(kind: number, txnId: number, payload: unknown): Buffer {
  const out = new GrowableBuffer(256);
  writeFrame(out, kind, txnId, encodePayload(payload));
  return Buffer.from(out.view());
}

/**
 * The directory of one tree of a paged checkpoint as unpacked columns, one value per page: a
 * directory as stored (layouts 3 and 4, and 5 for a tree of up to 64 pages), or the directory
 * pages a layout-5 root directory names (docs/format.md §4.4) read from `bytes` and joined.
 */
export function pageDirectory(bytes: Buffer, stored: Uint8Array[] | { dirs: Uint8Array[] }): unknown[][] {
  if (Array.isArray(stored)) return stored.map((c) => unpackColumn(c, 0));
  const columns = stored.dirs.map((c) => unpackColumn(c, 0));
  const [, , , offsets, lengths] = columns as number[][];
  const out: unknown[][] = [];
  offsets.forEach((offset, i) => {
    const parts = splitDirectoryPage(bytes.subarray(offset, offset + lengths[i]));
    if (parts === null) throw new Error(`directory page at ${offset} does not split`);
    parts.forEach((part, c) => (out[c] ??= []).push(...unpackColumn(part, 0)));
  });
  return out;
}

/** The last CHECKPOINT frame of a file's bytes and its decoded payload. */
export function lastCheckpoint(bytes: Buffer): { frame: FrameInfo; payload: unknown } {
  const frame = listFrames(bytes)
    .filter((f) => f.kind === FrameKind.CHECKPOINT)
    .pop();
  if (!frame) throw new Error('no checkpoint');
  const at = frame.offset + FRAME_HEADER_SIZE;
  return { frame, payload: decodePayload(bytes.subarray(at, at + frame.length)) };
}
