/**
 * Checkpoint payload codec (docs/format.md §4). A checkpoint persists the catalog and every
 * index tree as sorted parallel arrays, so open loads it and bulk-builds trees in O(n) instead of
 * replaying the log; row bodies stay where they are in the log.
 *
 *   checkpoint := { v: 1, txnId, nextCollectionId, collections: [collection...] }
 *   collection := { id, version, schema, pkKeys: [...], pkLocs: [...], indexes: [{ name, keys, pks }...] }
 */
import { BTree } from './btree';
import { compareValues } from './compare';
import { CollectionState } from './collection-state';
import type { CollectionMeta } from './collection-state';
import type { CollectionSchema } from './schema/normalize';
import { FormatError } from '../src/errors';

export interface CheckpointData {
  txnId: number;
  nextCollectionId: number;
  collections: CollectionState[];
}

interface EncodedIndex {
  name: string;
  keys: unknown[];
  pks: unknown[];
}

interface EncodedCollection {
  id: number;
  version: number;
  schema: CollectionSchema;
  pkKeys: unknown[];
  pkLocs: number[];
  indexes: EncodedIndex[];
}

export function checkpointPayload(data: CheckpointData): unknown {
  return {
    v: 1,
    txnId: data.txnId,
    nextCollectionId: data.nextCollectionId,
    collections: data.collections.map((c): EncodedCollection => {
      const pk = c.pk.toArrays();
      return {
        id: c.meta.id,
        version: c.meta.version,
        schema: c.meta.schema,
        pkKeys: pk.keys,
        pkLocs: pk.values,
        indexes: c.indexes.map((ix) => {
          const arrays = ix.tree.toArrays();
          return { name: ix.def.name, keys: arrays.keys, pks: arrays.values };
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

function sameLengthArrays(a: unknown, b: unknown): a is unknown[] {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length;
}

/** Rebuild collection states from a decoded payload; every shape defect is a FormatError. */
export function loadCheckpoint(payload: unknown, offset: number): CheckpointData {
  if (!isRecord(payload) || payload.v !== 1) throw bad('unknown layout', offset);
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
    if (!sameLengthArrays(pkKeys, pkLocs) || !Array.isArray(indexes)) throw bad('primary key arrays', offset);
    const meta: CollectionMeta = {
      id: id as number,
      version: version as number,
      schema: schema as unknown as CollectionSchema,
    };
    const pk = BTree.fromSorted<unknown, number>(pkKeys, pkLocs as number[], { compare: compareValues });
    const trees = new Map<string, BTree<unknown, unknown>>();
    for (const ix of indexes as unknown[]) {
      if (!isRecord(ix) || typeof ix.name !== 'string' || !sameLengthArrays(ix.keys, ix.pks)) {
        throw bad('index arrays', offset);
      }
      trees.set(
        ix.name,
        BTree.fromSorted<unknown, unknown>(ix.keys, ix.pks as unknown[], {
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
