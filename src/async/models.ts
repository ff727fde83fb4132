/**
 * The typed collection of AsyncDatabase.register(model): the sync ModelCollection's writes and
 * reads with promises, over the async database (its worker runs the one validator). Queries are
 * the untyped AsyncQuery for now (`query()`); update() runs in one transaction.
 */
import { InterfaceError, ValidationError } from '../errors';
import { isRecord } from '../../storage/schema/to-stored';
import type { AnyModel, Infer, InferInput, KeyOf } from '../models/model';
import type { Patch } from '../models/collection';
import { ABORT, merge, nowFiller, sameValue } from '../models/rows';
import type { AsyncDatabase } from './database';
import type { AsyncIterateOptions, AsyncQuery, AsyncQueryOptions } from './query';

type Row = Record<string, unknown>;

export class AsyncModelCollection<M extends AnyModel> {
  readonly name: string;
  private readonly fill: (row: Row) => Row;

  /** @internal Created by AsyncDatabase.register(). */
  constructor(
    private readonly db: AsyncDatabase,
    readonly model: M,
  ) {
    this.name = model.name;
    this.fill = nowFiller(model.nowPaths);
  }

  /** Insert a new row; an existing row with the same primary key is an IntegrityError. */
  async insert(row: InferInput<M>): Promise<void> {
    await this.db.insert(this.name, this.fill(row as Row), ABORT);
  }

  upsert(row: InferInput<M>): Promise<'inserted' | 'replaced'> {
    return this.db.insert(this.name, this.fill(row as Row));
  }

  async get(pk: KeyOf<M>): Promise<Infer<M> | null> {
    return (await this.db.get(this.name, pk)) as Infer<M> | null;
  }

  /** As ModelCollection.update: a nested partial patch, validated as a whole row, one transaction. */
  update(pk: KeyOf<M>, patch: Patch<M>): Promise<Infer<M> | null> {
    if (!isRecord(patch))
      return Promise.reject(new InterfaceError('update: patch must be an object', 'BAD_OPTION'));
    const key = this.model.primaryKey;
    return this.db.transaction(async (tx) => {
      const current = await tx.get(this.name, pk);
      if (current === null) return null;
      const next = merge(current, patch as Row);
      if (!sameValue(next[key], current[key]))
        throw new ValidationError(`${key}: update() cannot change the primary key`, key);
      await tx.insert(this.name, next);
      return (await tx.get(this.name, pk)) as Infer<M>;
    });
  }

  delete(pk: KeyOf<M>): Promise<boolean> {
    return this.db.delete(this.name, pk);
  }

  /** The untyped async query builder over the collection. */
  query(): AsyncQuery {
    return this.db.collection(this.name);
  }

  count(options?: AsyncQueryOptions): Promise<number> {
    return this.query().count(options);
  }

  async all(options?: AsyncQueryOptions): Promise<Infer<M>[]> {
    return (await this.query().all(options)) as Infer<M>[];
  }

  /** Every row, fetched in batches (see AsyncQuery.iterate). */
  iterate(options?: number | AsyncIterateOptions): AsyncGenerator<Infer<M>, void, undefined> {
    return this.query().iterate(options) as AsyncGenerator<Infer<M>, void, undefined>;
  }
}
