/**
 * Differential generators for the JSON functions and the -> / ->> operators: random JSON
 * documents as literals (nested objects and arrays; int64 extremes and beyond, reals such as -0.0
 * and 1e400, escapes, unicode, duplicate keys, now and then JSON5 or malformed text), documents
 * built from the table's columns with json_object()/json_array(), paths that hit, miss and are
 * bad, edits, patches and the aggregates; extracted values are also fed to arithmetic, text
 * conversion and other JSON functions (a whole-valued JSON real must stay REAL there).
 */
import fc from 'fast-check';
import type { Col, ColType } from './literals';
import { literalArb, q } from './literals';

const KEYS = ['a', 'b', 'c', 'k y', 'a.b', 'é', '', 'dup'];

const NUMBERS = [
  '0',
  '-1',
  '42',
  '9223372036854775807',
  '-9223372036854775808',
  '12345678901234567890',
  '1.5',
  '-0.0',
  '2.50',
  '1e400',
  '1E5',
  '0.1',
  '-2.5e-3',
];

const STRINGS = [
  '""',
  '"x"',
  '"tab\\tq\\"uote"',
  '"\\u00e9\\ud83d\\ude00"',
  '"é😀"',
  '"[1]"',
  '"\\/"',
  '"a\\\\b"',
];

/** A random JSON value as RFC 8259 text. */
function jsonValueArb(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
  );
  if (depth <= 0) return leaf;
  const sub = jsonValueArb(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 2, arbitrary: fc.array(sub, { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...KEYS), sub), { maxLength: 4 })
        .map((es) => `{${es.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    },
  );
}

/** A JSON document as an SQL string literal: mostly RFC JSON, sometimes spaced, JSON5 or broken. */
function docLiteralArb(): fc.Arbitrary<string> {
  const rfc = jsonValueArb(3);
  return fc
    .oneof(
      { weight: 12, arbitrary: rfc },
      { weight: 2, arbitrary: rfc.map((t) => ` ${t.replace(/,/g, ' , ').replace(/:/g, ' : ')} `) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "{a: 1, 'b': [0x1F, .5, 5., +1, Infinity, NaN,], /* c */ c: '\\x41'}",
          '[1, 2,]',
          '// comment\n{"a":[1]}',
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom('', '[1, 2', 'not json', '{"a" 1}', '[01]', '"open') },
    )
    .map(q);
}

const PATHS = [
  '$',
  '$.a',
  '$.b',
  '$.a[0]',
  '$.a[1]',
  '$.a.b',
  '$.c.a',
  '$[0]',
  '$[1]',
  '$[0].a',
  '$[#-1]',
  '$[#]',
  '$."k y"',
  '$."a.b"',
  '$.é',
  '$.""',
  '$.dup',
  '$.missing',
  '$[9]',
];
const BAD_PATHS = ['a', '$a', '$.', '$[x]', '$[#-]'];

function pathArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...PATHS).map(q) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_PATHS).map(q) },
    { weight: 1, arbitrary: fc.constant('NULL') },
  );
}

/** The right side of -> / ->>: a path, a label, an array index (negative from the end). */
function arrowRightArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...PATHS).map(q) },
    { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'k y', 'a.b', 'missing', '[0]', '[#-1]').map(q) },
    { weight: 2, arbitrary: fc.constantFrom('0', '1', '-1', '3', '-4') },
  );
}

/** Columns whose values JSON can hold (a random blob is mostly not JSONB: an error in both). */
function valueCols(cols: Col[]): string[] {
  return [...cols.filter((c) => c.type !== 'BLOB').map((c) => c.name), 'id'];
}

/** An SQL value for json_array/json_object/json_set: columns, literals, JSON from functions. */
function valueArb(cols: Col[], doc: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valueCols(cols)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<ColType>('INTEGER', 'REAL', 'TEXT', 'BOOLEAN').chain(literalArb),
    },
    { weight: 1, arbitrary: fc.constantFrom('NULL', "'[1]'", '-0.0', '9223372036854775807', "x'01'") },
    { weight: 2, arbitrary: doc.map((d) => `json(${d})`) },
    { weight: 1, arbitrary: fc.tuple(doc, arrowRightArb()).map(([d, p]) => `(${d} -> ${p})`) },
    // SQLite passes the JSON subtype through CASE and coalesce-like functions, not through others.
    {
      weight: 1,
      arbitrary: fc
        .tuple(doc, fc.constantFrom(...valueCols(cols)))
        .chain(([d, c]) =>
          fc.constantFrom(
            `coalesce(json(${d}), ${c})`,
            `CASE WHEN id % 2 = 0 THEN json(${d}) ELSE ${c} END`,
            `iif(id % 3 = 0, ${c}, json_array(${c}))`,
            `lower(json(${d}))`,
          ),
        ),
    },
  );
}

/** A JSON document expression: a literal, or built from the row with json_object/json_array. */
function docArb(cols: Col[]): fc.Arbitrary<string> {
  const lit = docLiteralArb();
  const v = valueArb(cols, lit);
  return fc.oneof(
    { weight: 6, arbitrary: lit },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'k y'), v), { minLength: 1, maxLength: 3 })
        .map((es) => `json_object(${es.map(([k, x]) => `${q(k)}, ${x}`).join(', ')})`),
    },
    { weight: 2, arbitrary: fc.array(v, { maxLength: 3 }).map((xs) => `json_array(${xs.join(', ')})`) },
  );
}

/** One JSON call or operator over the row. */
export function jsonExprArb(cols: Col[]): fc.Arbitrary<string> {
  const doc = docArb(cols);
  const path = pathArb();
  const value = valueArb(cols, docLiteralArb());
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  const exprs: fc.Arbitrary<string>[] = [
    fc.tuple(doc, path).map(([d, p]) => `json_extract(${d}, ${p})`),
    fc.tuple(doc, path, path).map(([d, p, r]) => `json_extract(${d}, ${p}, ${r})`),
    fc.tuple(doc, arrowRightArb()).map(([d, p]) => `${d} -> ${p}`),
    fc.tuple(doc, arrowRightArb()).map(([d, p]) => `${d} ->> ${p}`),
    fc.tuple(doc, arrowRightArb(), arrowRightArb()).map(([d, p, r]) => `${d} -> ${p} ->> ${r}`),
    fc.tuple(doc, fc.option(path)).map(([d, p]) => `json_type(${d}${p ? `, ${p}` : ''})`),
    fc.tuple(doc, fc.option(path)).map(([d, p]) => `json_array_length(${d}${p ? `, ${p}` : ''})`),
    doc.map((d) => `json(${d})`),
    fc.tuple(doc, fc.constantFrom('', ', 1', ', 2', ', 6')).map(([d, f]) => `json_valid(${d}${f})`),
    doc.map((d) => `json_error_position(${d})`),
    value.map((x) => `json_quote(${x})`),
    fc
      .tuple(
        fc.constantFrom('json_set', 'json_insert', 'json_replace'),
        doc,
        fc.array(fc.tuple(path, value), { minLength: 1, maxLength: 2 }),
      )
      .map(([f, d, pvs]) => `${f}(${d}, ${pvs.map(([p, x]) => `${p}, ${x}`).join(', ')})`),
    fc
      .tuple(doc, fc.array(path, { minLength: 1, maxLength: 2 }))
      .map(([d, ps]) => `json_remove(${d}, ${ps.join(', ')})`),
    fc.tuple(doc, doc).map(([d, p]) => `json_patch(${d}, ${p})`),
    fc.tuple(doc, path, value).map(([d, p, x]) => `json_extract(json_set(${d}, ${p}, ${x}), ${p})`),
    fc
      .tuple(doc, arrowRightArb(), fc.constantFrom(' / 4', " || ''", ' * 1', ''))
      .map(([d, p, op]) => `typeof(${d} ->> ${p})${op ? `, (${d} ->> ${p})${op}` : ''}`),
    fc.tuple(doc, path).map(([d, p]) => `json_array(json_extract(${d}, ${p}), ${d} ->> ${p})`),
  ];
  if (texts.length) {
    // A TEXT column as a document: mostly not JSON, so json_valid() guards the call.
    const t = fc.constantFrom(...texts);
    exprs.push(
      fc.tuple(t, arrowRightArb()).map(([c, p]) => `CASE WHEN json_valid(${c}) THEN ${c} -> ${p} END`),
      t.map((c) => `json_valid(${c})`),
    );
  }
  return fc.oneof(...exprs);
}

/** SELECT id, <JSON calls> FROM t [WHERE …] ORDER BY id, or per-id JSON aggregates. */
export function jsonSelectArb(cols: Col[]): fc.Arbitrary<{ sql: string }> {
  const v = fc.constantFrom(...valueCols(cols));
  // The aggregates' element order follows the scan, which SQLite may take from an index: one
  // group per id keeps it determined; over the whole table only the length is compared.
  const aggregates = fc
    .tuple(v, v, fc.constantFrom('', 'DISTINCT '))
    .map(
      ([x, y, distinct]) =>
        `SELECT id, json_group_array(${distinct}${x}), json_group_object('k' || ${y}, ${x}), json_array_length(json_group_array(json_array(${x}, ${y}))) FROM t GROUP BY id ORDER BY id`,
    );
  const whole = fc
    .tuple(v, v)
    .map(
      ([x, y]) =>
        `SELECT json_array_length(json_group_array(${x})), length(json_group_object(${y}, 1)) FROM t`,
    );
  const calls = fc
    .tuple(
      fc.array(jsonExprArb(cols), { minLength: 1, maxLength: 3 }),
      fc.option(jsonPredArb(cols), { freq: 3 }),
    )
    .map(([es, where]) => `SELECT id, ${es.join(', ')} FROM t${where ? ` WHERE ${where}` : ''} ORDER BY id`);
  return fc
    .oneof(
      { weight: 6, arbitrary: calls },
      { weight: 1, arbitrary: aggregates },
      { weight: 1, arbitrary: whole },
      { weight: 1, arbitrary: tableFunctionArb(cols) },
    )
    .map((sql) => ({ sql }));
}

/**
 * json_each / json_tree: over a literal document (RFC JSON only: SQLite's ids for JSON5 text
 * count its bytes as written, docs/sql.md) with or without a path, and joined to the table over
 * a document built from the row.
 */
function tableFunctionArb(cols: Col[]): fc.Arbitrary<string> {
  const v = fc.constantFrom(...valueCols(cols));
  const fn = fc.constantFrom('json_each', 'json_tree');
  const doc = fc.oneof(
    { weight: 6, arbitrary: jsonValueArb(3).map(q) },
    { weight: 1, arbitrary: fc.constantFrom('NULL', "'[1, 2'", "'not json'") },
  );
  const path = fc.option(pathArb(), { freq: 2 });
  const literal = fc
    .tuple(fn, doc, path)
    .map(([f, d, p]) => `SELECT *, json, root FROM ${f}(${d}${p === null ? '' : `, ${p}`})`);
  const built = fc.oneof(
    fc.tuple(v, v).map(([a, b]) => `json_array(${a}, ${b})`),
    fc.tuple(v, v).map(([a, b]) => `json_object('a', ${a}, 'k y', json_array(${b}, id))`),
  );
  const lateral = fc
    .tuple(fn, built, fc.constantFrom('', 'LEFT '))
    .map(
      ([f, d, join]) =>
        `SELECT t.id, j.key, j.value, j.type, j.id, j.parent, j.fullkey, j.path FROM t ${join}JOIN ${f}(${d}) AS j ON j.atom IS NOT NULL ORDER BY t.id, j.id`,
    );
  return fc.oneof(literal, lateral);
}

/** A WHERE condition on JSON built from the row. */
function jsonPredArb(cols: Col[]): fc.Arbitrary<string> {
  const v = fc.constantFrom(...valueCols(cols));
  return fc.oneof(
    fc
      .tuple(v, fc.constantFrom('integer', 'real', 'text', 'null', 'true'))
      .map(([c, t]) => `json_type(json_array(${c}), '$[0]') = '${t}'`),
    fc.tuple(v, v).map(([a, b]) => `json_array(${a}) -> 0 = json_array(${b}) -> 0`),
    fc.tuple(v, fc.boolean()).map(([c, not]) => `json_object('k', ${c}) ->> 'k' IS ${not ? 'NOT ' : ''}NULL`),
  );
}

/** UPDATE a TEXT column to JSON made from the row (stored, then read back by the suite). */
export function jsonUpdateArb(cols: Col[]): fc.Arbitrary<string> | null {
  const texts = cols.filter((c) => c.type === 'TEXT').map((c) => c.name);
  if (!texts.length) return null;
  const v = fc.constantFrom(...valueCols(cols));
  const value = fc.oneof(
    fc.tuple(v, v).map(([a, b]) => `json_object('a', ${a}, 'b', json_array(${b}, id))`),
    fc
      .tuple(fc.constantFrom(...texts), v)
      .map(([t, x]) => `json_set(json_quote(${t}), '$', json_array(${x}))`),
    fc.tuple(v).map(([x]) => `json_array(${x}) -> 0`),
  );
  return fc
    .tuple(fc.constantFrom(...texts), value, fc.option(jsonPredArb(cols), { freq: 2 }))
    .map(([t, x, where]) => `UPDATE t SET ${t} = ${x}${where ? ` WHERE ${where}` : ''}`);
}
