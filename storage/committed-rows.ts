/**
 * The rows a commit just wrote, by location, for the checkpoint that commit starts
 * (engine-transactions.ts commitTxn → engine-file.ts): its column pages take their values from
 * these decoded rows — the very values the commit encoded — instead of reading the frames back
 * from the file, checksumming and decoding them again (a bulk load's checkpoint read back ~200 MB
 * of frames for its column pages; see docs/performance.md).
 */
import { UNKEPT_ROW, type CachedRow } from './row-cache';
import { lowerBound } from './sorted-search';

export class CommittedRows {
  /** Where the last row was found: a checkpoint asks in key order, which a load's rows follow. */
  private at = 0;

  constructor(
    /** The commit's row locations, ascending (the order its frames were written in). */
    private readonly locations: readonly number[],
    private readonly entries: readonly CachedRow[],
    private readonly count: number,
  ) {}

  /** The row the commit wrote at `location`, or undefined (also for one it did not keep decoded). */
  find(location: number): CachedRow | undefined {
    const locations = this.locations;
    let i = this.at;
    if (i >= this.count || locations[i] !== location) {
      i = lowerBound(locations, location, this.count);
      if (i >= this.count || locations[i] !== location) return undefined;
    }
    this.at = i + 1;
    const entry = this.entries[i];
    return entry === UNKEPT_ROW ? undefined : entry;
  }
}
