/**
 * Differential generators for SQL functions, driven by the function table itself
 * (planner/functions): every deterministic scalar entry is called with argument counts inside its
 * arity range, over columns of every type and edge literals (NULL, '', numeric-looking text,
 * -0.0, int64 extremes, blobs); aggregates add group_concat/string_agg, DISTINCT, FILTER and
 * aggregates over expressions. Calls are not nested inside other scalar calls here; nested
 * mixed-type calls (coalesce/iif/max/min/nullif over INTEGER and REAL, under `/`, `%`, `||`,
 * typeof() and aggregates) come from generate-expressions.ts's mixed().
 */
import fc from 'fast-check';
import { functionTable } from '../../planner/functions';
import type { ScalarFunction } from '../../planner/functions';
import type { Col, ColType } from './generate';
import { literalArb, predArb } from './generate';

/** Calls the generator leaves out, and why. */
const EXCLUDED: ReadonlySet<string> = new Set([
  // Its second argument must be a REAL literal: random arguments would only test that refusal.
  'likelihood',
  // Formats are generated separately (a random format string mostly tests the parser of formats).
  'printf',
  'format',
]);

const EDGE_LITERALS = [
  'NULL',
  "''",
  "' 12 '",
  "'1e3'",
  "'-5'",
  "'abc'",
  "'12abc'",
  "'😀é'",
  '-0.0',
  '0',
  '1',
  '-1',
  '2',
  '9223372036854775807',
  '-9223372036854775807',
  '2.5',
  '-2.5',
  "x''",
  "x'00ff'",
  "x'616263'",
];

function scalars(): ScalarFunction[] {
  return functionTable().filter(
    // JSON functions get JSON-shaped arguments from generate-json.ts (random text is not JSON).
    (d): d is ScalarFunction =>
      d.kind === 'scalar' && d.deterministic && d.family !== 'json' && !EXCLUDED.has(d.name),
  );
}

function argArb(cols: Col[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...cols.map((c) => c.name), 'id') },
    { weight: 2, arbitrary: fc.constantFrom(...EDGE_LITERALS) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom<ColType>('INTEGER', 'REAL', 'TEXT', 'BLOB', 'BOOLEAN')
        .chain((t) => literalArb(t)),
    },
  );
}

/** One call of a random table entry with an argument count its arity allows. */
export function callArb(cols: Col[]): fc.Arbitrary<string> {
  const fns = scalars();
  return fc.constantFrom(...fns).chain((f) => {
    const max = f.maxArgs < 0 ? f.minArgs + 3 : f.maxArgs;
    // A date function without arguments reads the clock: the engines would disagree by a tick.
    const min = f.family === 'datetime' ? Math.max(1, f.minArgs) : f.minArgs;
    return fc
      .integer({ min, max })
      .chain((n) => fc.array(argArb(cols), { minLength: n, maxLength: n }))
      .map((args) => `${f.name}(${args.join(', ')})`);
  });
}

const FORMATS = [
  '%d',
  '%5d|%-5d|%05d',
  '%s|%10s',
  '%.2f',
  '%e',
  '%g',
  '%x',
  '%q',
  '%Q',
  '%c',
  '%,d',
  '%+.3f',
  '%.1s',
  '%!.10g',
];

function printfArb(cols: Col[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...FORMATS),
      fc.constantFrom('printf', 'format'),
      fc.array(argArb(cols), { minLength: 1, maxLength: 3 }),
    )
    .map(([f, name, args]) => `${name}('${f}', ${args.join(', ')})`);
}

const TIME_VALUES = [
  "'2024-02-29'",
  "'2024-01-31 10:20:30.5'",
  "'2023-12-31T23:59:59Z'",
  "'2023-03-15 08:00:00+05:30'",
  "'12:30:45'",
  "'-0044-03-15'",
  '2460000.5',
  '1700000000',
  "'2023-02-31'",
  "'garbage'",
];
const MODIFIERS = [
  "'+1 day'",
  "'-36 hours'",
  "'+1.5 days'",
  "'+1 month'",
  "'-13 months'",
  "'+1 year'",
  "'start of month'",
  "'start of year'",
  "'start of day'",
  "'weekday 0'",
  "'weekday 4'",
  "'unixepoch'",
  "'auto'",
  "'subsec'",
  "'floor'",
  "'ceiling'",
  "'+01:30'",
  "'-0001-02-03'",
  "'utc'",
  "'localtime'",
];

/** Date arithmetic: date/time functions over fixed moments and chains of modifiers. */
function dateCallArb(cols: Col[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...TIME_VALUES) },
    { weight: 1, arbitrary: fc.constantFrom(...cols.map((c) => c.name), 'id') },
  );
  return fc
    .tuple(
      fc.constantFrom('date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime'),
      value,
      fc.array(fc.constantFrom(...MODIFIERS), { maxLength: 3 }),
      fc.constantFrom('%Y-%m-%d %H:%M:%f', '%j %U %V %W %w %u', '%s %J', '%G-%g %I%p %e %k %l'),
    )
    .map(([f, v, mods, fmt]) => {
      const args = [v, ...mods].join(', ');
      return f === 'strftime' ? `strftime('${fmt}', ${args})` : `${f}(${args})`;
    });
}

/** SELECT id, f(…), … FROM t [WHERE …] ORDER BY id. */
export function selectCalls(cols: Col[]): fc.Arbitrary<{ sql: string }> {
  const call = fc.oneof(
    { weight: 6, arbitrary: callArb(cols) },
    { weight: 1, arbitrary: printfArb(cols) },
    { weight: 2, arbitrary: dateCallArb(cols) },
  );
  return fc
    .tuple(fc.array(call, { minLength: 1, maxLength: 3 }), fc.option(predArb(cols, 1), { freq: 3 }))
    .map(([calls, where]) => ({
      sql: `SELECT id, ${calls.join(', ')} FROM t${where ? ` WHERE ${where}` : ''} ORDER BY id`,
    }));
}

/** A predicate on a function call (WHERE / UPDATE / DELETE). */
export function callPredArb(cols: Col[]): fc.Arbitrary<string> {
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  const any = cols.map((c) => c.name);
  const preds: fc.Arbitrary<string>[] = [
    fc.tuple(callArb(cols), fc.boolean()).map(([c, not]) => `${c} IS ${not ? 'NOT ' : ''}NULL`),
    fc
      .tuple(fc.constantFrom(...any), fc.constantFrom('>', '<=', '='), fc.integer({ min: 0, max: 4 }))
      .map(([c, op, n]) => `length(${c}) ${op} ${n}`),
    fc
      .tuple(fc.constantFrom(...any), fc.constantFrom('integer', 'real', 'text', 'null'))
      .map(([c, t]) => `typeof(${c}) = '${t}'`),
  ];
  if (texts.length)
    preds.push(
      fc
        .tuple(fc.constantFrom(...texts), fc.constantFrom('a', 'B', 'é', ''))
        .map(([c, s]) => `instr(lower(${c}), '${s.toLowerCase()}') > 0`),
    );
  return fc.oneof(...preds);
}

/** Aggregate terms beyond Tier 1: group_concat, string_agg, DISTINCT, FILTER, over expressions. */
export function aggregateTerms(cols: Col[]): fc.Arbitrary<string>[] {
  const any = cols.map((c) => c.name);
  const nums = cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL').map((c) => c.name);
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  const a = fc.constantFrom(...any);
  // Concatenation order follows the scan, which SQLite may take from an index, so lengths are
  // compared; blobs go through hex() (a NUL would end length(), and bytes that are not UTF-8
  // cannot survive a JS string).
  const blobs = new Set(cols.filter((c) => c.type === 'BLOB').map((c) => c.name));
  const g = a.map((c) => (blobs.has(c) ? `hex(${c})` : c));
  const terms: fc.Arbitrary<string>[] = [
    g.map((c) => `length(group_concat(${c}))`),
    g.map((c) => `length(group_concat(${c}, '--'))`),
    g.map((c) => `length(string_agg(${c}, ''))`),
    g.map((c) => `length(group_concat(DISTINCT ${c}))`),
    fc.tuple(a, predArb(cols, 0)).map(([c, p]) => `count(${c}) FILTER (WHERE ${p})`),
    predArb(cols, 1).map((p) => `count(*) FILTER (WHERE ${p})`),
    fc.tuple(a, predArb(cols, 0)).map(([c, p]) => `max(${c}) FILTER (WHERE ${p})`),
    a.map((c) => `min(DISTINCT ${c})`),
    a.map((c) => `max(length(${c}))`),
    a.map((c) => `sum(length(${c}))`),
    a.map((c) => `count(nullif(${c}, 0))`),
  ];
  if (nums.length) {
    const n = fc.constantFrom(...nums, 'id');
    terms.push(
      fc.tuple(n, n).map(([x, y]) => `sum(${x} * ${y})`),
      n.map((x) => `avg(DISTINCT ${x})`),
      n.map((x) => `total(DISTINCT ${x})`),
      n.map((x) => `sum(DISTINCT ${x})`),
      fc.tuple(n, predArb(cols, 0)).map(([x, p]) => `sum(${x}) FILTER (WHERE ${p})`),
      fc.tuple(n, predArb(cols, 0)).map(([x, p]) => `total(${x}) FILTER (WHERE ${p})`),
      n.map((x) => `max(abs(${x}))`),
      n.map((x) => `round(avg(${x}), 1)`),
    );
  }
  if (texts.length) {
    const t = fc.constantFrom(...texts);
    terms.push(
      t.map((x) => `max(upper(${x}))`),
      t.map((x) => `min(substr(${x}, 2))`),
      t.map((x) => `count(DISTINCT lower(${x}))`),
    );
  }
  return terms;
}
