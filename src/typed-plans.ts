/**
 * Physical plans of the typed API's row queries (all, first, iterate) by query shape, per engine:
 * collection, condition paths and operators, order, limit, offset and projection, with the
 * compared values bound as parameters. A plan holds while the catalog is the one it was made for
 * (the engine's catalogVersion moves with every schema or index change) and the handle sees the
 * same collection state, as the SQL front end's cached statement plans do (cursor/connection.ts).
 *
 * A lookup by key builds its query on every call, so finding the plan must not build a string
 * per call: hashing a freshly concatenated key was a tenth of a unique-key lookup. Plans are
 * found by the collection name and the where shape (strings the caller already holds, whose hashes
 * are kept with them), then by the limit alone when the query has no offset, order or projection
 * (the shape of a lookup), else by a key of those built as before.
 */
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import type { PhysicalPlan } from '../planner/physical';

export interface CachedPlan {
  readonly version: number;
  readonly state: CollectionState;
  readonly plan: PhysicalPlan;
}

/** What a row query's shape holds besides its collection and its where shape. */
export interface ShapeRest {
  readonly limit: number | null;
  readonly offset: number | null;
  readonly order: readonly { readonly path: readonly string[]; readonly desc: boolean }[];
  readonly select: readonly (readonly string[])[] | null;
}

/** Shapes kept per engine before the cache starts over (an application has a few dozen). */
const TYPED_PLAN_LIMIT = 512;

interface ShapePlans {
  /** Queries with no offset, order or projection, by limit (-1: none). */
  readonly byLimit: Map<number, CachedPlan>;
  /** The others, by restKey(). */
  readonly byRest: Map<string, CachedPlan>;
}

/**
 * The rest of a shape as one string: fields split by U+0001..U+0003 and path segments joined
 * with U+0000, which keeps distinct shapes distinct without the cost of JSON.
 */
function restKey(rest: ShapeRest): string {
  let key = `${rest.limit ?? ''},${rest.offset ?? ''}`;
  for (const o of rest.order) key += `\u0003${o.path.join('\u0000')}${o.desc ? '-' : '+'}`;
  if (rest.select !== null) {
    key += '\u0002';
    for (const sel of rest.select) key += `\u0003${sel.join('\u0000')}`;
  }
  return key;
}

function isLookupShape(rest: ShapeRest): boolean {
  return rest.offset === null && rest.order.length === 0 && rest.select === null;
}

class EnginePlans {
  private readonly byName = new Map<string, Map<string, ShapePlans>>();
  private size = 0;

  private slot(name: string, where: string, create: boolean): ShapePlans | undefined {
    let shapes = this.byName.get(name);
    if (shapes === undefined) {
      if (!create) return undefined;
      this.byName.set(name, (shapes = new Map()));
    }
    let slot = shapes.get(where);
    if (slot === undefined && create) shapes.set(where, (slot = { byLimit: new Map(), byRest: new Map() }));
    return slot;
  }

  get(name: string, where: string, rest: ShapeRest): CachedPlan | undefined {
    const slot = this.slot(name, where, false);
    if (slot === undefined) return undefined;
    return isLookupShape(rest) ? slot.byLimit.get(rest.limit ?? -1) : slot.byRest.get(restKey(rest));
  }

  set(name: string, where: string, rest: ShapeRest, plan: CachedPlan): void {
    if (this.size >= TYPED_PLAN_LIMIT) {
      this.byName.clear();
      this.size = 0;
    }
    const slot = this.slot(name, where, true) as ShapePlans;
    const before = slot.byLimit.size + slot.byRest.size;
    if (isLookupShape(rest)) slot.byLimit.set(rest.limit ?? -1, plan);
    else slot.byRest.set(restKey(rest), plan);
    this.size += slot.byLimit.size + slot.byRest.size - before;
  }
}

const plansByEngine = new WeakMap<Engine, EnginePlans>();

/** The plan cache of `engine` (made on first use; it goes with the engine). */
export function typedPlansOf(engine: Engine): EnginePlans {
  let plans = plansByEngine.get(engine);
  if (plans === undefined) plansByEngine.set(engine, (plans = new EnginePlans()));
  return plans;
}
