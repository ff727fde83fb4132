/**
 * The shared-memory codec (src/async/codec.ts): what it encodes decodes to what structured cloning
 * (the message path) would give, Buffers for byte arrays; what it cannot carry exactly it refuses,
 * so the caller falls back to a message.
 */
import { Decoder, Encoder } from '../../src/async/codec';

const memory = Buffer.from(new SharedArrayBuffer(4096));

function roundTrip(v: unknown): { ok: boolean; value?: unknown } {
  const enc = new Encoder(memory);
  if (!enc.value(v)) return { ok: false };
  const dec = new Decoder(memory);
  const value = dec.value();
  expect(dec.pos).toBe(enc.pos);
  return { ok: true, value };
}

test.each([
  ['null', null],
  ['undefined', undefined],
  ['booleans', [true, false]],
  ['int32 edges', [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)]],
  ['floats', [0.1, 2 ** 31, -(2 ** 53), 1e300, Number.MIN_VALUE, Infinity, -Infinity]],
  ['short ASCII', 'note 42'],
  ['long ASCII', 'x'.repeat(1000)],
  ['UTF-16 and astral', 'Zürich 🏔 ✓'],
  ['lone surrogates', ['\ud800', 'a\udc00b', 'x'.repeat(40) + '\ud83d']],
  ['empty string', ''],
  ['int64 bigints', [0n, 2n ** 63n - 1n, -(2n ** 63n)]],
  ['bigints past int64', [2n ** 63n, -(2n ** 63n) - 1n, 10n ** 40n]],
  ['dates', [new Date(0), new Date('2024-02-29T12:34:56.789Z'), new Date(-8.64e15)]],
  ['nested documents', { a: 1, b: { c: [1, 'two', { d: null }] }, e: [], f: {} }],
  ['undefined members', { a: undefined, b: [undefined, 1] }],
  ['numeric keys keep their order', { 2: 'b', 1: 'a', x: 'c' }],
  ['exec-style reply', { rows: [[1, 'a', null]], done: true, description: [['id', null]], rowCount: -1 }],
])('%s decode equal to the original (as structured cloning gives)', (_name, v) => {
  const got = roundTrip(v);
  expect(got.ok).toBe(true);
  // Compared with the original, not with structuredClone's output: that one is built in Node's
  // main realm, and toStrictEqual tells realms apart under jest. Decoded values are in this realm.
  expect(got.value).toStrictEqual(v);
  if (v !== null && typeof v === 'object') expect(Object.keys(got.value as object)).toEqual(Object.keys(v));
});

test('-0, NaN and an invalid Date keep their identity', () => {
  const got = roundTrip([-0, Number.NaN, 0, new Date(Number.NaN)]).value as unknown[];
  expect(Object.is(got[0], -0)).toBe(true);
  expect(Number.isNaN(got[1])).toBe(true);
  expect(Object.is(got[2], 0)).toBe(true);
  expect(got[3]).toBeInstanceOf(Date);
  expect(Number.isNaN((got[3] as Date).getTime())).toBe(true);
});

test('byte arrays come back as Buffers over memory of their own (not the shared buffer)', () => {
  const got = roundTrip([Buffer.from([1, 2, 3]), new Uint8Array([4, 5])]).value as Buffer[];
  expect(got.map((b) => Buffer.isBuffer(b))).toEqual([true, true]);
  expect(got.map((b) => [...b])).toEqual([
    [1, 2, 3],
    [4, 5],
  ]);
  expect(got[0].buffer).not.toBe(memory.buffer);
  expect(got[0].buffer).toBeInstanceOf(ArrayBuffer);
  memory.fill(0);
  expect([...got[0]]).toEqual([1, 2, 3]);
});

test('null-prototype objects are plain objects once decoded, as with structured cloning', () => {
  const o = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
  expect(roundTrip(o).value).toEqual({ a: 1 });
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const sparse: unknown[] = [1];
sparse[3] = 4;

test.each([
  ['a Map', new Map([[1, 2]])],
  ['a Set', new Set([1])],
  ['a class instance', new Point(1, 2)],
  ['a cycle', cyclic],
  ['a sparse array', sparse],
  ['a key named __proto__', JSON.parse('{"__proto__": 1}') as unknown],
  ['another typed array', new Int16Array([1])],
  ['an ArrayBuffer', new ArrayBuffer(2)],
  ['a RegExp', /x/],
  ['a boxed number', Object(1) as unknown],
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['an Error', new Error('e')],
])('refuses %s (the caller sends it by message)', (_name, v) => {
  expect(roundTrip({ nested: [v] }).ok).toBe(false);
});

test('a value larger than the region is refused, whatever its kind', () => {
  const small = Buffer.from(new SharedArrayBuffer(64));
  for (const v of ['x'.repeat(100), 'é'.repeat(40), Buffer.alloc(100), Array.from({ length: 30 }, () => 1)])
    expect(new Encoder(small).value(v)).toBe(false);
  expect(new Encoder(small).value('x'.repeat(50))).toBe(true);
});

test('objects one after another, keys alike, different or not ASCII, decode to their own keys', () => {
  const rows = [
    { id: 1, note: 'a' },
    { id: 2, note: 'b' },
    { id: 3, nota: 'c' },
    { ab: 1, ac: 2 },
    { ac: 1, ab: 2 },
    { é: 1, id: 2 },
    { id: { id: 1, note: [{ note: 2, id: 3 }] }, note: null },
    { '': 1, ' ': 2 },
    {},
    { id: 4, note: 'd', extra: true },
  ];
  const got = roundTrip(rows).value as Record<string, unknown>[];
  expect(got).toStrictEqual(rows);
  got.forEach((o, i) => expect(Object.keys(o)).toEqual(Object.keys(rows[i])));
});

test('arrays of every length decode dense and equal, small and past the presized ones', () => {
  const arrays = [0, 1, 2, 3, 4, 5, 17, 4096, 4097].map((n) =>
    Array.from({ length: n }, (_, i) => (i % 2 ? `v${i}` : i)),
  );
  const big = Buffer.from(new SharedArrayBuffer(1 << 16));
  const enc = new Encoder(big);
  expect(enc.value(arrays)).toBe(true);
  const got = new Decoder(big).value() as unknown[][];
  expect(got).toStrictEqual(arrays);
  for (const a of got) expect(Object.keys(a)).toHaveLength(a.length);
});
