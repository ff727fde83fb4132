/**
 * Model migrations: compare a model with the stored catalog (plan) and bring the catalog to it
 * (apply) through the schema-version flow: compatible changes apply, needsMigration ones need
 * `force` once the data fits, and so do breaking ones, rewriting the rows (docs/migrations.md).
 */
import type { Database } from '../database';
import type { SchemaPlan } from '../schema-versions';
import { ModelCollection } from './collection';
import type { AnyModel } from './model';

/** What applying `m` to `db` would do (a new collection is one compatible createCollection step). */
export function plan(db: Database, m: AnyModel): SchemaPlan {
  if (!db.visibleCollection(m.name))
    return {
      collection: m.name,
      fromVersion: 0,
      classification: 'compatible',
      steps: [
        {
          kind: 'createCollection',
          classification: 'compatible',
          target: m.name,
          detail: `new collection ${m.name}`,
        },
      ],
      rows: 0,
    };
  return db.planSchemaVersion(m.name, m);
}

/** Apply `m` to `db` (create, or register a schema version) and return its typed collection. */
export function apply<M extends AnyModel>(
  db: Database,
  m: M,
  options: { force?: boolean } = {},
): ModelCollection<M> {
  if (!db.visibleCollection(m.name)) return db.register(m);
  db.registerSchemaVersion(m.name, m, options);
  return new ModelCollection(db, m);
}
