/**
 * A walk of an index that gives each run of entries with equal keys in the opposite order. SQLite
 * orders an index declared DESC on every column by key descending, then rowid ascending;
 * ModelVault stores such an index ascending (key, then primary key), so a walk of it in either
 * direction has its ties the other way round from SQLite's walk in the same key order. Each run
 * of equal keys is read whole and handed out from its end.
 */
export interface EntryCursor {
  key: unknown;
  value: unknown;
  next(): boolean;
}

export class FlippedTies implements EntryCursor {
  key: unknown = undefined;
  value: unknown = undefined;
  private readonly runKeys: unknown[] = [];
  private readonly runValues: unknown[] = [];
  /** The first entry of the next run, read while closing the current one. */
  private aheadKey: unknown = undefined;
  private aheadValue: unknown = undefined;
  private ahead = false;

  constructor(
    private readonly cur: EntryCursor,
    private readonly compare: (a: unknown, b: unknown) => number,
  ) {}

  next(): boolean {
    if (this.runKeys.length === 0 && !this.fill()) return false;
    this.key = this.runKeys.pop();
    this.value = this.runValues.pop();
    return true;
  }

  private fill(): boolean {
    const cur = this.cur;
    if (this.ahead) {
      this.runKeys.push(this.aheadKey);
      this.runValues.push(this.aheadValue);
      this.ahead = false;
    } else if (cur.next()) {
      this.runKeys.push(cur.key);
      this.runValues.push(cur.value);
    } else return false;
    const first = this.runKeys[0];
    while (cur.next()) {
      if (this.compare(cur.key, first) !== 0) {
        this.aheadKey = cur.key;
        this.aheadValue = cur.value;
        this.ahead = true;
        break;
      }
      this.runKeys.push(cur.key);
      this.runValues.push(cur.value);
    }
    return true;
  }
}
