/**
 * AsyncQuery (the typed query builder with promises) against the sync Query on the same file as
 * the oracle: every terminal, iteration in batches, stream(), and builder errors surfacing from
 * the terminal call with the sync API's class and code.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AsyncDatabase, Database, QueryError } from '../../src/index';
import type { Query } from '../../src/index';
import type { AsyncQuery } from '../../src/async/query';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-query-');
let path: string;
let db: AsyncDatabase;
let sync: Database;

beforeAll(async () => {
  path = tmp.file();
  db = await AsyncDatabase.open(path, { readers: 1 });
  await db.registerCollection(
    'people',
    [
      { path: 'id', type: 'int64' },
      { path: 'name', type: 'string' },
      { path: ['address', 'city'], type: 'string' },
      { path: 'age', type: 'int64' },
      { path: 'seen', type: 'timestamp' },
    ],
    'id',
    [{ name: 'people_age', path: 'age', kind: 'index' }],
  );
  await db.transaction(async (tx) => {
    for (let i = 0; i < 700; i++)
      await tx.insert('people', {
        id: i,
        name: `p${i}`,
        address: { city: ['Oslo', 'Bergen', 'Tromsø'][i % 3] },
        age: 18 + (i % 60),
        seen: new Date(1_700_000_000_000 + i * 1000),
      });
  });
  sync = Database.open(path, { readOnly: true });
});

afterAll(async () => {
  sync.close();
  await db.close();
  tmp.cleanup();
});

/** The same chain on both APIs. */
function both(build: <Q extends Query | AsyncQuery>(q: Q) => Q): [AsyncQuery, Query] {
  return [build(db.collection('people')), build(sync.collection('people'))];
}

test('all, first, count, explain, aggregate give the sync answers', async () => {
  const chains = [
    <Q extends Query | AsyncQuery>(q: Q): Q => q.where('age', '>=', 40).orderBy('age', 'desc').limit(25) as Q,
    <Q extends Query | AsyncQuery>(q: Q): Q =>
      q.where(['address', 'city'], 'Bergen').offset(10).select(['id', 'seen']) as Q,
    <Q extends Query | AsyncQuery>(q: Q): Q =>
      q.or({ path: 'age', op: '<', value: 20 }, { path: 'name', op: 'startsWith', value: 'p69' }) as Q,
  ];
  for (const chain of chains) {
    const [a, s] = both(chain);
    expect(await a.all()).toEqual(s.all());
    expect(await a.first()).toEqual(s.first());
    expect(await a.count()).toBe(s.count());
    expect(await a.explain()).toBe(s.explain());
  }
  const [a, s] = both((q) => q.groupBy(['address', 'city']) as typeof q);
  const spec = { n: { fn: 'count' as const }, oldest: { fn: 'max' as const, path: 'age' } };
  expect(await a.aggregate(spec)).toEqual(s.aggregate(spec));
});

test('for await and stream() walk every matching row in batches, in order', async () => {
  const [a, s] = both((q) => q.where('age', '<', 50).orderBy('id') as typeof q);
  const want = s.all();
  const got: unknown[] = [];
  for await (const row of a.iterate(64)) got.push(row);
  expect(got).toEqual(want);
  const streamed: unknown[] = [];
  await pipeline(
    a.stream(32),
    new Writable({
      objectMode: true,
      write(row: unknown, _enc, cb) {
        streamed.push(row);
        cb();
      },
    }),
  );
  expect(streamed).toEqual(want);
  // Breaking out early closes the worker-side iterator.
  for await (const row of a) {
    expect(row).toEqual(want[0]);
    break;
  }
});

test('builder errors surface from the terminal call as the sync API throws them', async () => {
  const err = await db
    .collection('people')
    .where('nope', '=', 1)
    .all()
    .catch((e: unknown) => e);
  let want: unknown = null;
  try {
    sync.collection('people').where('nope', '=', 1).all();
  } catch (e) {
    want = e;
  }
  expect(err).toBeInstanceOf(QueryError);
  expect((err as QueryError).code).toBe((want as QueryError).code);
  expect((err as Error).message).toBe((want as Error).message);
});
