/**
 * Differential window functions over the case's one table (NULLs and ties come from its small
 * value pools): random PARTITION BY and ORDER BY terms, ROWS / RANGE / GROUPS frames with every
 * kind of bound and EXCLUDE, the built-in window functions and the aggregates (with FILTER),
 * named windows, windows over GROUP BY results, in ORDER BY and under LIMIT.
 *
 * Results are ordered by `id` (or by a unique group key), so rows compare in order. What a
 * window computes must not depend on how ties in its ORDER BY are broken, since the engines may
 * break them differently: a window whose ORDER BY does not end with `id` only gets functions
 * and frames that see whole peer groups (ranks, cume_dist, count/sum/min/max over RANGE or
 * GROUPS frames); row_number, ntile, lag/lead, the value functions, group_concat and ROWS frames
 * get an ORDER BY that ends with `id`. MIN/MAX of collated columns are left out (which of two
 * values equal under NOCASE SQLite shows depends on its temporary index), and so are SUMs of
 * REALs over sliding frames (SQLite subtracts leaving rows; rounding may differ in the last bit).
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';

interface Spec {
  /** The text inside OVER ( … ). */
  text: string;
  /** The ORDER BY is total (ends with id): any function and frame may use it. */
  total: boolean;
  /** ORDER BY terms (for RANGE offsets: exactly one numeric term). */
  order: string[];
  /** The frame starts at UNBOUNDED PRECEDING without EXCLUDE (a growing frame), or there is none. */
  growing: boolean;
  /** The frame has ROWS units. */
  rows: boolean;
}

const numeric = (c: Col): boolean => c.type === 'INTEGER' || c.type === 'REAL' || c.type === 'BOOLEAN';

function keyTermArb(cols: Col[]): fc.Arbitrary<string> {
  const names = cols.map((c) => c.name);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom('id % 3', 'id % 2') },
    { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => `${n} IS NULL`) },
  );
}

const boundArb = (side: 'start' | 'end'): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(side === 'start' ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING'),
    fc.constant('CURRENT ROW'),
    fc.integer({ min: 0, max: 3 }).map((n) => `${n} PRECEDING`),
    fc.integer({ min: 0, max: 3 }).map((n) => `${n} FOLLOWING`),
  );

/** SQLite's refused shapes are generated rarely on purpose; the usual frames are valid. */
function validFrame(start: string, end: string): boolean {
  if (start === 'CURRENT ROW' && end.endsWith('PRECEDING') && !end.startsWith('UNBOUNDED')) return false;
  if (start.endsWith('FOLLOWING') && (end.endsWith('PRECEDING') || end === 'CURRENT ROW')) return false;
  return true;
}

function frameArb(
  unit: 'ROWS' | 'RANGE' | 'GROUPS',
  offsetsAllowed: boolean,
): fc.Arbitrary<{ text: string; growing: boolean }> {
  return fc
    .tuple(
      boundArb('start'),
      boundArb('end'),
      fc.boolean(),
      fc.constantFrom(
        '',
        '',
        ' EXCLUDE NO OTHERS',
        ' EXCLUDE CURRENT ROW',
        ' EXCLUDE GROUP',
        ' EXCLUDE TIES',
      ),
    )
    .filter(([s, e]) => validFrame(s, e) && (offsetsAllowed || !/\d/.test(s + e)))
    .map(([s, e, between, exclude]) => {
      const lone = !between && e === 'CURRENT ROW';
      const text = `${unit} ${lone ? s : `BETWEEN ${s} AND ${e}`}${exclude}`;
      return {
        text,
        growing: s === 'UNBOUNDED PRECEDING' && (exclude === '' || exclude.includes('NO OTHERS')),
      };
    });
}

function specArb(cols: Col[]): fc.Arbitrary<Spec> {
  const nums = ['id', ...cols.filter(numeric).map((c) => c.name)];
  return fc
    .tuple(
      fc.array(keyTermArb(cols), { maxLength: 2 }),
      fc.array(
        fc.tuple(keyTermArb(cols), fc.constantFrom('', ' ASC', ' DESC')).map(([t, d]) => `${t}${d}`),
        { maxLength: 2 },
      ),
      fc.boolean(),
      fc.constantFrom('none', 'none', 'ROWS', 'RANGE', 'GROUPS', 'RANGE1'),
      fc.constantFrom(...nums),
      fc.constantFrom('', ' DESC'),
    )
    .chain(([partition, order0, addId, unitPick, rangeCol, rangeDir]) => {
      // RANGE with offsets needs exactly one (numeric) ORDER BY term.
      const rangeOffsets = unitPick === 'RANGE1';
      const order = rangeOffsets ? [`${rangeCol}${rangeDir}`] : addId ? [...order0, 'id'] : order0;
      const total = rangeOffsets ? rangeCol === 'id' : addId;
      const unit = unitPick === 'RANGE1' ? 'RANGE' : unitPick;
      const head = [
        partition.length ? `PARTITION BY ${partition.join(', ')}` : '',
        order.length ? `ORDER BY ${order.join(', ')}` : '',
      ];
      const base = { total, order };
      if (unit === 'none') {
        const text = head.filter(Boolean).join(' ');
        return fc.constant<Spec>({ ...base, text, growing: true, rows: false });
      }
      // ROWS frames see rows, not peer groups: only over a total order.
      const u = unit === 'ROWS' && !total ? 'GROUPS' : (unit as 'ROWS' | 'RANGE' | 'GROUPS');
      const offsets = u !== 'RANGE' || rangeOffsets;
      return frameArb(u, offsets).map((f): Spec => ({
        ...base,
        text: [...head, f.text].filter(Boolean).join(' '),
        growing: f.growing,
        rows: u === 'ROWS',
      }));
    });
}

/** A window function call valid over `spec` whatever ties its ORDER BY leaves. */
function callArb(cols: Col[], spec: Spec): fc.Arbitrary<string> {
  const plain = cols.filter((c) => !c.collate).map((c) => c.name);
  const any = ['id', ...cols.map((c) => c.name)];
  const sums = ['id', ...cols.filter((c) => c.type === 'INTEGER' || c.type === 'BOOLEAN').map((c) => c.name)];
  const reals = cols.filter((c) => c.type === 'REAL').map((c) => c.name);
  const summable = spec.growing ? [...sums, ...reals] : sums;
  const filter = fc.option(
    fc.constantFrom('id % 2 = 0', 'id > 1010', ...cols.map((c) => `${c.name} IS NOT NULL`)),
    { freq: 4 },
  );
  const withFilter = (call: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.tuple(call, filter).map(([c, f]) => (f === null ? c : `${c} FILTER (WHERE ${f})`));
  const peerSafe: fc.Arbitrary<string>[] = [
    fc.constantFrom('rank()', 'dense_rank()', 'percent_rank()', 'cume_dist()'),
    withFilter(fc.constant('count(*)')),
    withFilter(fc.constantFrom(...any).map((c) => `count(${c})`)),
    withFilter(fc.constantFrom(...summable).map((c) => `sum(${c})`)),
    withFilter(fc.constantFrom(...summable).map((c) => `total(${c})`)),
    withFilter(fc.constantFrom(...sums).map((c) => `avg(${c})`)),
    withFilter(
      fc.tuple(fc.constantFrom('min', 'max'), fc.constantFrom('id', ...plain)).map(([f, c]) => `${f}(${c})`),
    ),
  ];
  if (!spec.total) return fc.oneof(...peerSafe);
  const ordered: fc.Arbitrary<string>[] = [
    fc.constant('row_number()'),
    fc.integer({ min: 1, max: 4 }).map((n) => `ntile(${n})`),
    fc
      .tuple(
        fc.constantFrom('lag', 'lead'),
        fc.constantFrom(...any),
        fc.constantFrom('', ', 0', ', 2', ', 1, -1', ", 2, 'none'", ', 1, 0.5'),
      )
      .map(([f, c, rest]) => `${f}(${c}${rest})`),
    fc
      .tuple(fc.constantFrom('first_value', 'last_value'), fc.constantFrom(...any))
      .map(([f, c]) => `${f}(${c})`),
    fc
      .tuple(fc.constantFrom(...any), fc.integer({ min: 1, max: 3 }))
      .map(([c, n]) => `nth_value(${c}, ${n})`),
    // Not over TEXT or BLOB columns: SQLite's window group_concat answers a NUL character or drops
    // a separator where empty strings or blobs were concatenated (docs/sql.md lists it).
    withFilter(
      fc.constantFrom('id', ...cols.filter(numeric).map((c) => c.name)).map((c) => `group_concat(${c})`),
    ),
    withFilter(
      fc
        .constantFrom('id', ...cols.filter((c) => c.type !== 'BLOB').map((c) => c.name))
        .map((c) => `json_group_array(${c})`),
    ),
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(...peerSafe) },
    { weight: 4, arbitrary: fc.oneof(...ordered) },
  );
}

const windowedArb = (cols: Col[]): fc.Arbitrary<string> =>
  specArb(cols).chain((spec) => callArb(cols, spec).map((call) => `${call} OVER (${spec.text})`));

const whereArb = fc.option(fc.constantFrom('id % 3 <> 0', 'id > 1005', 'id < 1030', 'id % 4 = 1'), {
  freq: 3,
});

const select = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });

/** `SELECT id, f OVER (…), … FROM t [WHERE …] ORDER BY id [LIMIT …]`. */
function windowList(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.array(windowedArb(cols), { minLength: 1, maxLength: 3 }),
      whereArb,
      fc.option(fc.integer({ min: 0, max: 5 }), { freq: 4 }),
    )
    .map(([calls, where, limit]) =>
      select(
        `SELECT id, ${calls.join(', ')} FROM t${where ? ` WHERE ${where}` : ''} ORDER BY id${limit === null ? '' : ` LIMIT ${limit}`}`,
      ),
    );
}

/** `WINDOW w AS (…)` used as `OVER w` and extended as `OVER (w ORDER BY …)`. */
function namedWindow(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(specArb(cols), fc.array(keyTermArb(cols), { minLength: 1, maxLength: 2 }))
    .chain(([spec, partition]) =>
      fc
        .tuple(
          callArb(cols, spec),
          callArb(cols, { text: '', total: true, order: ['id'], growing: true, rows: false }),
        )
        .map(([a, b]) =>
          select(
            `SELECT id, ${a} OVER w, ${b} OVER (p ORDER BY id) FROM t WINDOW w AS (${spec.text}), p AS (PARTITION BY ${partition.join(', ')}) ORDER BY id`,
          ),
        ),
    );
}

/** Windows over GROUP BY results: aggregates as window arguments, group keys in the window. */
function overGroups(cols: Col[]): fc.Arbitrary<Stmt> {
  const keys = cols.filter((c) => !c.collate).map((c) => c.name);
  if (!keys.length) return windowList(cols);
  return fc
    .tuple(
      fc.constantFrom(...keys),
      fc.constantFrom('count(*)', 'sum(id)', 'max(id)', 'min(id)'),
      fc.constantFrom(
        'sum(AGG) OVER ()',
        'sum(AGG) OVER (ORDER BY KEY ROWS UNBOUNDED PRECEDING)',
        'rank() OVER (ORDER BY AGG)',
        'dense_rank() OVER (ORDER BY AGG DESC)',
        'row_number() OVER (ORDER BY KEY DESC)',
        'lag(AGG) OVER (ORDER BY KEY)',
        'count(*) OVER (ORDER BY AGG RANGE CURRENT ROW)',
        'max(KEY) OVER (ORDER BY AGG GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING)',
      ),
      whereArb,
    )
    .map(([key, agg, win, where]) =>
      select(
        `SELECT ${key}, ${agg}, ${win.replace(/AGG/g, agg).replace(/KEY/g, key)} FROM t${where ? ` WHERE ${where}` : ''} GROUP BY ${key} ORDER BY ${key}`,
      ),
    );
}

/** A window function in ORDER BY (the id breaks every tie). */
function inOrderBy(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(windowedArb(cols), fc.constantFrom('', ' DESC'), fc.option(fc.integer({ min: 1, max: 4 })))
    .map(([w, d, limit]) =>
      select(`SELECT id FROM t ORDER BY ${w}${d}, id${limit === null ? '' : ` LIMIT ${limit}`}`),
    );
}

export function windowStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  return fc.oneof(
    { weight: 5, arbitrary: windowList(cols) },
    { weight: 1, arbitrary: namedWindow(cols) },
    { weight: 1, arbitrary: overGroups(cols) },
    { weight: 1, arbitrary: inOrderBy(cols) },
  );
}
