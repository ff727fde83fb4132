/**
 * Checkpoint payload codec (docs/format.md §4). A checkpoint persists the catalog and every
 * index tree as sorted parallel arrays, so open loads it and bulk-builds trees in O(n) instead of
 * replaying the log; row bodies stay where they are in the log.
 *
 *   checkpoint := { v: 1 | 2, txnId, nextCollectionId, collections: [collection...] }
 *   collection := { id, version, schema, pkKeys, pkLocs, indexes: [{ name, keys, pks }...] }
 *
 * Layout 1 (format 1.0) stores each array as a MessagePack array; layout 2 (format 1.1) stores
 * each as a packed column (storage/packed-column.ts), about 4× smaller and faster to load.
 */
import { BTree } from './btree';
import { compareValues } from './compare';
import { CollectionState } from './collection-state';
import type { CollectionMeta } from './collection-state';
import type { CollectionSchema } from './schema/normalize';
import { packColumn, unpackColumn } from './packed-column';
import { FormatError } from '../src/errors';

export interface CheckpointData {
  txnId: number;
  nextCollectionId: number;
  collections: CollectionState[];
}

/** A column as stored: a MessagePack array (layout 1) or a packed column (layout 2). */
type EncodedColumn = unknown[] | Buffer;

interface EncodedIndex {
  name: string;
  keys: EncodedColumn;
  pks: EncodedColumn;
}

interface EncodedCollection {
  id: number;
  version: number;
  schema: CollectionSchema;
  pkKeys: EncodedColumn;
  pkLocs: EncodedColumn;
  indexes: EncodedIndex[];
}

/** Layout 1 is written only into format 1.0 files, which older readers must keep opening. */
export type CheckpointLayout = 1 | 2;

export function checkpointPayload(data: CheckpointData, layout: CheckpointLayout = 2): unknown {
  const column = layout === 2 ? packColumn : (values: unknown[]): unknown[] => values;
  return {
    v: layout,
    txnId: data.txnId,
    nextCollectionId: data.nextCollectionId,
    collections: data.collections.map((c): EncodedCollection => {
      const pk = c.pk.toArrays();
      return {
        id: c.meta.id,
        version: c.meta.version,
        schema: c.meta.schema,
        pkKeys: column(pk.keys),
        pkLocs: column(pk.values),
        indexes: c.indexes.map((ix) => {
          const arrays = ix.tree.toArrays();
          return { name: ix.def.name, keys: column(arrays.keys), pks: column(arrays.values) };
        }),
      };
    }),
  };
}

function bad(message: string, offset: number): FormatError {
  return new FormatError(`corrupt checkpoint: ${message}`, 'CORRUPT', { offset });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read one stored column of the given layout; null when it has the wrong shape. */
function readColumn(raw: unknown, layout: CheckpointLayout, offset: number): unknown[] | null {
  if (layout === 1) return Array.isArray(raw) ? raw : null;
  return raw instanceof Uint8Array ? unpackColumn(raw, offset) : null;
}

function readPair(
  a: unknown,
  b: unknown,
  layout: CheckpointLayout,
  offset: number,
): [unknown[], unknown[]] | null {
  const left = readColumn(a, layout, offset);
  const right = readColumn(b, layout, offset);
  return left && right && left.length === right.length ? [left, right] : null;
}

function isLocations(values: unknown[]): values is number[] {
  for (const v of values) if (!Number.isSafeInteger(v) || (v as number) < 0) return false;
  return true;
}

/** Rebuild collection states from a decoded payload; every shape defect is a FormatError. */
export function loadCheckpoint(payload: unknown, offset: number): CheckpointData {
  if (!isRecord(payload) || (payload.v !== 1 && payload.v !== 2)) throw bad('unknown layout', offset);
  const layout: CheckpointLayout = payload.v;
  const { txnId, nextCollectionId, collections } = payload;
  if (
    !Number.isSafeInteger(txnId) ||
    !Number.isSafeInteger(nextCollectionId) ||
    !Array.isArray(collections)
  ) {
    throw bad('bad fields', offset);
  }
  const states = collections.map((raw: unknown) => {
    if (!isRecord(raw)) throw bad('collection entry is not a map', offset);
    const { id, version, schema, pkKeys, pkLocs, indexes } = raw;
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(version) || !isRecord(schema)) {
      throw bad('collection header', offset);
    }
    const pkPair = readPair(pkKeys, pkLocs, layout, offset);
    if (!pkPair || !isLocations(pkPair[1]) || !Array.isArray(indexes))
      throw bad('primary key arrays', offset);
    const meta: CollectionMeta = {
      id: id as number,
      version: version as number,
      schema: schema as unknown as CollectionSchema,
    };
    const pk = BTree.fromSorted<unknown, number>(pkPair[0], pkPair[1], { compare: compareValues });
    const trees = new Map<string, BTree<unknown, unknown>>();
    for (const ix of indexes as unknown[]) {
      const pair = isRecord(ix) ? readPair(ix.keys, ix.pks, layout, offset) : null;
      if (!isRecord(ix) || typeof ix.name !== 'string' || !pair) throw bad('index arrays', offset);
      trees.set(
        ix.name,
        BTree.fromSorted<unknown, unknown>(pair[0], pair[1], {
          compare: compareValues,
          multi: true,
          valueCompare: compareValues,
        }),
      );
    }
    try {
      return new CollectionState(meta, pk, trees);
    } catch (err) {
      throw new FormatError(`corrupt checkpoint: collection ${String(id)} has an invalid schema`, 'CORRUPT', {
        offset,
        cause: err,
      });
    }
  });
  return { txnId: txnId as number, nextCollectionId: nextCollectionId as number, collections: states };
}
