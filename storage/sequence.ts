/**
 * AUTOINCREMENT (SQLite's sqlite_sequence, kept per collection): the largest primary key ever
 * written to a collection whose schema sets `autoIncrement`, so a new key is never one a deleted
 * row had. In memory it is CollectionState.seq; it is rebuilt by replay from the RECORD_PUT
 * frames, carried by each checkpoint entry (`seq`) for the rows a checkpoint or a compaction no
 * longer has, and put back by rollback with the collection's trees.
 */
import type { CollectionState } from './collection-state';

export type Sequence = number | bigint | null;

function greater(a: number | bigint, b: number | bigint): boolean {
  return a > b;
}

/** Record that key `pk` was written to `state` (a no-op unless the collection is AUTOINCREMENT). */
export function noteKey(state: CollectionState, pk: unknown): void {
  if (state.meta.schema.autoIncrement !== true) return;
  if (typeof pk !== 'number' && typeof pk !== 'bigint') return;
  if (state.seq === null || greater(pk, state.seq)) state.seq = pk;
}

/** The sequence value a checkpoint entry carries, if any: a safe integer or a bigint. */
export function readSequence(raw: unknown): Sequence {
  if (typeof raw === 'bigint' || (typeof raw === 'number' && Number.isSafeInteger(raw))) return raw;
  return null;
}
