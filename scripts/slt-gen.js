#!/usr/bin/env node
/*
 * Writes sqllogictest-format files in the shapes of SQLite's random conformance scripts (constant
 * expressions with unary chains, CAST, NULLIF, COALESCE, CASE and aggregates; selects over
 * three small INTEGER tables with aliases, cross joins, IN lists, BETWEEN and subqueries; GROUP
 * BY / HAVING; indexed seven-column tables with views and compounds), without expected results:
 * run them with `node scripts/slt-run.js --oracle DIR`, which takes better-sqlite3's answers.
 *
 *   node scripts/slt-gen.js OUTDIR [FILES_PER_KIND=4] [QUERIES_PER_FILE=400] [SEED=1]
 */
'use strict';
const fs = require('fs');
const path = require('path');

const [outDir, perKindArg, perFileArg, seedArg] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: slt-gen.js OUTDIR [FILES_PER_KIND] [QUERIES_PER_FILE] [SEED]');
  process.exit(2);
}
const perKind = Number(perKindArg || 4);
const perFile = Number(perFileArg || 400);
let seed = Number(seedArg || 1) >>> 0;

function rnd() {
  // xorshift32: deterministic per seed, so a failing file can be written again.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;

function unary(e) {
  let pre = '';
  const n = int(3);
  for (let i = 0; i < n; i++) pre += pick(['+ ', '- ']);
  return pre + e;
}

/** Expression generator over the given numeric and text columns (qualified names allowed). */
function makeExpr(ctx) {
  const { numCols, realCols = [], aggOk } = ctx;
  function lit() {
    if (chance(0.06)) return 'NULL';
    if (ctx.reals && chance(0.15)) return `${int(100)}.${int(100)}`;
    return String(int(100));
  }
  function atom(depth) {
    const r = rnd();
    if (numCols.length && r < 0.45) return unary(pick(numCols.concat(realCols)));
    if (r < 0.75 || depth > 3) return unary(lit());
    return expr(depth + 1);
  }
  function expr(depth = 0) {
    const r = rnd();
    if (depth > 3) return atom(depth + 1);
    if (r < 0.35) return `${atom(depth)} ${pick(['+', '-', '*', '*', '/', '+', '-', '%'])} ${atom(depth)}`;
    if (r < 0.45) return `( ${expr(depth + 1)} )`;
    if (r < 0.5) return `CAST ( ${expr(depth + 1)} AS ${pick(['INTEGER', 'INTEGER', 'REAL'])} )`;
    if (r < 0.55) return `NULLIF ( ${expr(depth + 1)}, ${expr(depth + 1)} )`;
    if (r < 0.6)
      return `COALESCE ( ${expr(depth + 1)}, ${expr(depth + 1)}${chance(0.5) ? ', ' + expr(depth + 1) : ''} )`;
    if (r < 0.65) {
      let s = `CASE ${expr(depth + 1)}`;
      for (let i = 0, n = 1 + int(2); i < n; i++) s += ` WHEN ${expr(depth + 1)} THEN ${expr(depth + 1)}`;
      if (chance(0.6)) s += ` ELSE ${expr(depth + 1)}`;
      return s + ' END';
    }
    if (r < 0.7) {
      let s = 'CASE';
      for (let i = 0, n = 1 + int(2); i < n; i++) s += ` WHEN ${pred(depth + 1)} THEN ${expr(depth + 1)}`;
      if (chance(0.6)) s += ` ELSE ${expr(depth + 1)}`;
      return s + ' END';
    }
    if (aggOk && r < 0.8) return unary(agg());
    if (r < 0.83) return `abs ( ${expr(depth + 1)} )`;
    if (ctx.sub && r < 0.86) return `( ${ctx.sub()} )`;
    if (r < 0.88) return `( ${pred(depth + 1)} )`;
    if (r < 0.9) return `${atom(depth)} ${pick(['IS', 'IS NOT'])} ${atom(depth)}`;
    return atom(depth);
  }
  function agg() {
    const r = rnd();
    if (r < 0.3) return 'COUNT ( * )';
    const f = pick(['COUNT', 'MIN', 'MAX', 'SUM', 'AVG', 'SUM', 'MAX', 'MIN']);
    const q = pick(['', 'ALL ', 'DISTINCT ']);
    const inner = numCols.length && chance(0.7) ? unary(pick(numCols.concat(realCols))) : lit();
    return `${f} ( ${q}${chance(0.2) ? inner + ' * ' + lit() : inner} )`;
  }
  function pred(depth = 0) {
    const r = rnd();
    if (depth < 2 && r < 0.12) return `${pred(depth + 1)} ${pick(['AND', 'OR'])} ${pred(depth + 1)}`;
    if (depth < 2 && r < 0.2) return `NOT ${pred(depth + 1)}`;
    if (depth < 2 && r < 0.24) return `( ${pred(depth + 1)} )`;
    if (r < 0.5)
      return `${expr(depth + 2)} ${pick(['=', '<>', '<', '>', '<=', '>=', '!='])} ${expr(depth + 2)}`;
    if (r < 0.6) return `${expr(depth + 2)} IS ${chance(0.5) ? 'NOT ' : ''}NULL`;
    if (r < 0.7)
      return `${expr(depth + 2)} ${chance(0.4) ? 'NOT ' : ''}BETWEEN ${expr(depth + 2)} AND ${expr(depth + 2)}`;
    if (r < 0.82) {
      const items = [];
      for (let i = 0, n = int(4) + (chance(0.9) ? 1 : 0); i < n; i++) items.push(expr(depth + 2));
      return `${expr(depth + 2)} ${chance(0.4) ? 'NOT ' : ''}IN ( ${items.join(', ')} )`;
    }
    if (ctx.inSub && r < 0.9) return `${expr(depth + 2)} ${chance(0.4) ? 'NOT ' : ''}IN ( ${ctx.inSub()} )`;
    if (ctx.inSub && r < 0.94) return `${chance(0.4) ? 'NOT ' : ''}EXISTS ( ${ctx.inSub()} )`;
    return `${expr(depth + 2)} ${pick(['=', '<', '>='])} ${expr(depth + 2)}`;
  }
  return { expr, pred, agg };
}

function header(out) {
  out.push('hash-threshold 8\n');
}
function stmt(out, sql) {
  out.push(`statement ok\n${sql}\n`);
}
function query(out, sql, ncols, sort = 'rowsort') {
  out.push(`query ${'T'.repeat(ncols)} ${sort}\n${sql}\n`);
}

// ---------------------------------------------------------------------------------------------
// Kind 1: random/expr and random/select shapes (tab0..tab2, three INTEGER columns)

function smallTables(out, withNulls) {
  for (let t = 0; t < 3; t++) stmt(out, `CREATE TABLE tab${t}(col0 INTEGER, col1 INTEGER, col2 INTEGER)`);
  for (let t = 0; t < 3; t++) {
    for (let r = 0; r < 3 + (withNulls ? 1 : 0); r++) {
      const v = () => (withNulls && chance(0.15) ? 'NULL' : String(int(100)));
      stmt(out, `INSERT INTO tab${t} VALUES(${v()},${v()},${v()})`);
    }
  }
}

function genExprFile(withNulls, reals = false) {
  const out = [];
  header(out);
  smallTables(out, withNulls);
  const cst = makeExpr({ numCols: [], aggOk: true, reals });
  for (let i = 0; i < perFile; i++) {
    const n = 1 + int(2);
    const cols = [];
    for (let j = 0; j < n; j++) cols.push(cst.expr() + (chance(0.5) ? ` AS col${int(3)}` : ''));
    query(out, `SELECT ${pick(['', 'ALL ', 'DISTINCT '])}${cols.join(', ')}`, n);
  }
  return out;
}

function genSelectFile(withNulls, grouped) {
  const out = [];
  header(out);
  smallTables(out, withNulls);
  for (let i = 0; i < perFile; i++) {
    const t = int(3);
    const alias = pick(['', ' AS cor0', ' cor0']);
    const q = alias ? 'cor0.' : chance(0.2) ? `tab${t}.` : '';
    const cols = ['col0', 'col1', 'col2'].map((c) => (chance(0.3) ? q + c : c));
    let from = `tab${t}${alias}`;
    let numCols = cols;
    if (chance(0.15)) {
      const t2 = int(3);
      from += chance(0.5) ? `, tab${t2} AS cor1` : ` CROSS JOIN tab${t2} AS cor1`;
      numCols = cols
        .map((c) => (c.includes('.') ? c : (alias ? 'cor0.' : `tab${t}.`) + c))
        .concat(['cor1.col0', 'cor1.col1', 'cor1.col2']);
    } else if (chance(0.08)) {
      const t2 = int(3);
      const kind = pick(['JOIN', 'LEFT JOIN', 'LEFT OUTER JOIN', 'INNER JOIN']);
      const me = alias ? 'cor0' : `tab${t}`;
      from += ` ${kind} tab${t2} AS cor1 ON ${me}.col${int(3)} ${pick(['=', '<', '>'])} cor1.col${int(3)}`;
      numCols = [`${me}.col0`, `${me}.col1`, `${me}.col2`, 'cor1.col0', 'cor1.col1', 'cor1.col2'];
    }
    const inSub = () =>
      `SELECT ${pick(['col0', 'col1', 'col2', '- col1', 'col2 + col0'])} FROM tab${int(3)}${chance(0.4) ? ` WHERE col${int(3)} > ${int(100)}` : ''}`;
    const sub = () => `SELECT ${pick(['MAX', 'MIN', 'COUNT', 'SUM'])} ( col${int(3)} ) FROM tab${int(3)}`;
    const g = makeExpr({ numCols, aggOk: false, inSub, sub });
    const ga = makeExpr({ numCols, aggOk: true });
    const distinct = pick(['', 'ALL ', 'DISTINCT ']);
    let sql;
    let n;
    if (grouped) {
      const key = pick(numCols);
      const items = [];
      n = 1 + int(2);
      for (let j = 0; j < n; j++) items.push(chance(0.5) ? unary(key) : ga.agg());
      sql = `SELECT ${distinct}${items.join(', ')} FROM ${from}`;
      if (chance(0.5)) sql += ` WHERE ${g.pred()}`;
      sql += ` GROUP BY ${key}`;
      if (chance(0.3))
        sql += ` HAVING ${pick([`${ga.agg()} ${pick(['>', '<', '<>', '='])} ${int(100)}`, `NOT ${key} IS NULL`, `${unary(key)} IN ( ${int(100)}, ${int(100)} )`])}`;
    } else if (chance(0.2)) {
      n = 1;
      sql = `SELECT ${distinct}${ga.agg()}${chance(0.5) ? ' * ' + ga.expr(2) : ''} FROM ${from}`;
      if (chance(0.6)) sql += ` WHERE ${g.pred()}`;
    } else if (chance(0.15)) {
      n = numCols.length === 3 ? 3 : 6;
      sql = `SELECT${chance(0.3) ? ' ALL' : chance(0.3) ? ' DISTINCT' : ''} * FROM ${from} WHERE ${g.pred()}`;
    } else {
      n = 1 + int(3);
      const items = [];
      for (let j = 0; j < n; j++)
        items.push(g.expr() + (chance(0.3) ? ` AS col${int(3)}` : chance(0.1) ? ` col${int(3)}` : ''));
      sql = `SELECT ${distinct}${items.join(', ')} FROM ${from}`;
      if (chance(0.7)) sql += ` WHERE ${g.pred()}`;
      if (chance(0.1)) {
        sql += ` ORDER BY ${1 + int(n)}${chance(0.5) ? ' DESC' : ''}`;
      }
    }
    query(out, sql, n);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kind 2: index/* and index/view shapes (pk, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER,
// col4 FLOAT, col5 TEXT; five copies with different indexes)

const COLS =
  'pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT';
function word() {
  let s = '';
  for (let i = 0; i < 5; i++) s += String.fromCharCode(97 + int(26));
  return s;
}

function genIndexFile(rows, withNulls) {
  const out = [];
  header(out);
  stmt(out, `CREATE TABLE tab0(${COLS})`);
  for (let r = 0; r < rows; r++) {
    const n = (v) => (withNulls && chance(0.1) ? 'NULL' : v);
    stmt(
      out,
      `INSERT INTO tab0 VALUES(${r},${n(int(rows * 10))},${n((rnd() * 100).toFixed(2))},${n(`'${word()}'`)},${n(int(rows * 10))},${n((rnd() * 100).toFixed(2))},${n(`'${word()}'`)})`,
    );
  }
  const idxCols = [
    'col0',
    'col1',
    'col3',
    'col4',
    'col0 DESC',
    'col3 DESC',
    'col1 DESC',
    'col4 DESC',
    'col2',
    'col5',
  ];
  for (let t = 1; t < 5; t++) {
    stmt(out, `CREATE TABLE tab${t}(${COLS})`);
    for (let k = 0; k < 1 + int(3); k++) {
      const parts = [pick(idxCols)];
      if (chance(0.4)) parts.push(pick(idxCols));
      const uniq = new Set(parts.map((p) => p.split(' ')[0])).size === parts.length;
      if (!uniq) parts.pop();
      stmt(out, `CREATE INDEX idx_tab${t}_${k} ON tab${t} (${parts.join(',')})`);
    }
    stmt(out, `INSERT INTO tab${t} SELECT * FROM tab0`);
  }
  const ic = ['col0', 'col3', 'pk'];
  const fc = ['col1', 'col4'];
  const tc = ['col2', 'col5'];
  // Mostly the column's own kind; sometimes the other numeric kind (INTEGER vs 4.5, FLOAT vs 7).
  const numLit = (c) =>
    fc.includes(c) === chance(0.85)
      ? (rnd() * (fc.includes(c) ? 100 : rows * 10)).toFixed(int(3))
      : String(int(rows * 10));
  function cond(depth = 0) {
    const r = rnd();
    if (depth < 3 && r < 0.25) return `${cond(depth + 1)} ${pick(['AND', 'OR'])} ${cond(depth + 1)}`;
    if (depth < 3 && r < 0.32) return `( ${cond(depth + 1)} )`;
    if (depth < 3 && r < 0.37) return `NOT ( ${cond(depth + 1)} )`;
    const c = pick(ic.concat(fc, ic));
    if (r < 0.5) return `${c} ${pick(['=', '<', '>', '<=', '>=', '<>'])} ${numLit(c)}`;
    // index/commute: the literal on the left, or an expression on the column
    if (r < 0.6)
      return chance(0.5)
        ? `${numLit(c)} ${pick(['=', '<', '>', '<=', '>=', '<>'])} ${c}`
        : `(${c} ${pick(['+', '-', '*'])} ${int(10)}) ${pick(['<', '>', '='])} ${numLit(c)}`;
    if (r < 0.7) return `${c} ${chance(0.3) ? 'NOT ' : ''}BETWEEN ${numLit(c)} AND ${numLit(c)}`;
    if (r < 0.8) {
      const items = [];
      for (let i = 0, n = 1 + int(5); i < n; i++) items.push(numLit(c));
      return `${c} ${chance(0.2) ? 'NOT ' : ''}IN (${items.join(',')})`;
    }
    if (r < 0.85) return `${c} IS ${chance(0.5) ? 'NOT ' : ''}NULL`;
    if (r < 0.9) {
      const t = pick(tc);
      return `${t} ${pick(['=', '<', '>', 'LIKE'])} '${chance(0.5) ? word().slice(0, 1 + int(3)) + (chance(0.5) ? '%' : '') : word()}'`;
    }
    if (r < 0.95) {
      const c2 = pick(ic);
      return `${c} IN (SELECT ${c2} FROM tab0 WHERE ${c2} ${pick(['>', '<'])} ${numLit(c2)})`;
    }
    return `${c} ${pick(['>', '<', '='])} ${pick(ic.concat(fc))}`;
  }
  const mk = makeExpr({ numCols: ic, realCols: fc, aggOk: false, reals: true });
  for (let i = 0; i < perFile; i++) {
    const where = cond();
    const r = rnd();
    let sel;
    let n;
    let sort = 'rowsort';
    if (r < 0.45) {
      sel = 'pk';
      n = 1;
    } else if (r < 0.6) {
      sel = '*';
      n = 7;
    } else if (r < 0.75) {
      sel = `${pick(['col0', 'col3', 'col1', 'col2'])}, ${mk.expr()}`;
      n = 2;
    } else if (r < 0.85) {
      sel = `${pick(['COUNT(*)', 'MAX(col0)', 'MIN(col1)', 'SUM(col3)', 'AVG(col4)', 'COUNT(DISTINCT col0)'])}`;
      n = 1;
    } else {
      sel = pick(['pk, col0', 'col5', 'col2, col4']);
      n = sel.split(',').length;
    }
    for (let t = 0; t < 5; t++) {
      let sql = `SELECT ${sel} FROM tab${t} WHERE ${where}`;
      let srt = sort;
      if (r > 0.9 && n <= 2) {
        sql += ` ORDER BY ${n === 1 ? '1' : '1,2'}${chance(0.5) ? ' DESC' : ''}`;
        srt = 'nosort';
        if (sel === 'col5' || sel.startsWith('col2')) srt = 'rowsort';
      }
      query(out, sql, n, srt);
    }
    if (chance(0.1)) {
      const t = int(5);
      stmt(out, `CREATE VIEW view_${i}_${t} AS SELECT pk, col0 FROM tab${t} WHERE ${where}`);
      query(out, `SELECT * FROM view_${i}_${t}`, 2);
      query(out, `SELECT pk FROM view_${i}_${t} UNION SELECT pk FROM tab${t} WHERE NOT (${where})`, 1);
      query(
        out,
        `SELECT pk FROM tab${t} WHERE ${where} ${pick(['UNION ALL', 'EXCEPT', 'INTERSECT'])} SELECT pk FROM tab${(t + 1) % 5} WHERE ${cond()}`,
        1,
      );
      stmt(out, `DROP VIEW view_${i}_${t}`);
    }
    if (chance(0.05)) {
      const t = 1 + int(4);
      stmt(out, `DELETE FROM tab${t} WHERE ${cond()}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kind 3: select4/select5 shapes (compounds over t1/t2, many-table joins)

function genJoinFile() {
  const out = [];
  header(out);
  const nt = 12;
  for (let t = 1; t <= nt; t++) {
    stmt(out, `CREATE TABLE t${t}(a${t} INTEGER PRIMARY KEY, b${t} INTEGER, x${t} VARCHAR(40))`);
    for (let r = 1; r <= 10; r++)
      stmt(out, `INSERT INTO t${t} VALUES(${r},${1 + int(10)},'table t${t} row ${r}')`);
    if (chance(0.5)) stmt(out, `CREATE INDEX t${t}i0 ON t${t}(b${t})`);
  }
  for (let i = 0; i < perFile; i++) {
    const k = 2 + int(6);
    const ts = [];
    while (ts.length < k) {
      const t = 1 + int(nt);
      if (!ts.includes(t)) ts.push(t);
    }
    const conds = [];
    for (let j = 1; j < k; j++) conds.push(`${pick(['a', 'b'])}${ts[j]}=${pick(['a', 'b'])}${ts[int(j)]}`);
    if (chance(0.6)) conds.push(`a${pick(ts)} IN (${[1 + int(10), 1 + int(10), 1 + int(10)].join(',')})`);
    if (chance(0.3)) conds.push(`b${pick(ts)} ${pick(['<', '>', '='])} ${1 + int(10)}`);
    if (chance(0.2)) conds.push(`(a${pick(ts)}=${1 + int(10)} OR b${pick(ts)}=${1 + int(10)})`);
    const sel = ts.map((t) => `x${t}`).join(',');
    let from = ts.map((t) => `t${t}`).join(',');
    if (chance(0.25)) {
      from = `t${ts[0]}`;
      for (let j = 1; j < k; j++)
        from += ` ${pick(['JOIN', 'LEFT JOIN', 'CROSS JOIN', 'INNER JOIN'])} t${ts[j]} ON ${conds[j - 1]}`;
      query(
        out,
        `SELECT ${sel} FROM ${from}${conds.length >= k ? ' WHERE ' + conds.slice(k - 1).join(' AND ') : ''}`,
        k,
      );
    } else {
      query(out, `SELECT ${sel} FROM ${from} WHERE ${conds.join(' AND ')}`, k);
    }
    if (chance(0.3)) {
      const arm = () =>
        `SELECT ${pick(['a', 'b'])}${ts[0]}, x${ts[0]} FROM t${ts[0]} WHERE b${ts[0]} ${pick(['<', '>', '=', '<>'])} ${1 + int(10)}`;
      let sql = arm();
      for (let j = 0, n = 1 + int(2); j < n; j++)
        sql += ` ${pick(['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'])} ${arm()}`;
      if (chance(0.5)) query(out, `${sql} ORDER BY 1${chance(0.5) ? ' DESC' : ''}, 2`, 2, 'nosort');
      else query(out, sql, 2);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kind 4: select1-3 shapes (t1(a..e) with 30 rows, a fixed pool of expressions and predicates,
// correlated subqueries, ORDER BY over column numbers), NULLs in some rows as in select2/3

const POOL_EXPR = [
  'a',
  'b',
  'c',
  'd',
  'e',
  'a-b',
  'b-c',
  'c-d',
  'd-e',
  'abs(a)',
  'abs(b-c)',
  'a+b*2',
  'a+b*2+c*3',
  'a+b*2+c*3+d*4',
  'a+b*2+c*3+d*4+e*5',
  '(a+b+c+d+e)/5',
  'CASE WHEN a<b-3 THEN 111 WHEN a<=b THEN 222 WHEN a<b+3 THEN 333 ELSE 444 END',
  'CASE a+1 WHEN b THEN 111 WHEN c THEN 222 WHEN d THEN 333 WHEN e THEN 444 ELSE 555 END',
  'CASE WHEN c>(SELECT avg(c) FROM t1) THEN a*2 ELSE b*10 END',
  '(SELECT count(*) FROM t1 AS x WHERE x.b<t1.b)',
  '(SELECT count(*) FROM t1 AS x WHERE x.c>t1.c AND x.d<t1.d)',
  'coalesce(a,b,c,d,e)',
  'CASE WHEN a IS NULL THEN 0 ELSE a END',
  'nullif(a,b)',
  'a IS NULL',
  '(SELECT max(x.e) FROM t1 AS x WHERE x.a>t1.a)',
  'a*b-c',
  'e%7',
  '-d',
  '(a+b)/(c-d)',
];
const POOL_PRED = [
  'a>b',
  'b>c',
  'c>d',
  'd>e',
  '(e>a AND e<b)',
  '(e>c OR e<d)',
  '(a>b-2 AND a<b+2)',
  '(c<=d-2 OR c>=d+2)',
  'c BETWEEN b-2 AND d+2',
  'd NOT BETWEEN 110 AND 150',
  'e+d BETWEEN a+b-10 AND c+130',
  'EXISTS(SELECT 1 FROM t1 AS x WHERE x.b<t1.b)',
  'a IS NULL',
  'b IS NOT NULL',
  'coalesce(a,b) > 150',
  'a IN (SELECT b FROM t1 AS x WHERE x.c > t1.c)',
  'c NOT IN (SELECT d FROM t1 WHERE d > 200)',
  'b IN (100,107,200,NULL)',
  'e NOT IN (101,NULL)',
];

function genSelect1File(withNulls) {
  const out = [];
  header(out);
  stmt(out, 'CREATE TABLE t1(a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER)');
  for (let r = 0; r < 30; r++) {
    const base = 100 + r * 5;
    const cols = ['a', 'b', 'c', 'd', 'e'].sort(() => rnd() - 0.5);
    const vals = cols.map((_, i) => (withNulls && chance(0.1) ? 'NULL' : String(base + ((i + int(5)) % 5))));
    stmt(out, `INSERT INTO t1(${cols.join(',')}) VALUES(${vals.join(',')})`);
  }
  if (chance(0.5))
    stmt(
      out,
      `CREATE INDEX t1i${int(9)} ON t1(${pick(['a', 'b', 'c', 'd', 'e'])}${chance(0.5) ? ', ' + pick(['a', 'b', 'c', 'd', 'e']) : ''})`.replace(
        /ON t1\((\w), \1\)/,
        'ON t1($1)',
      ),
    );
  for (let i = 0; i < perFile; i++) {
    const n = 1 + int(5);
    const items = [];
    for (let j = 0; j < n; j++) items.push(pick(POOL_EXPR));
    const preds = [];
    for (let j = 0, k = int(4); j < k; j++) preds.push(pick(POOL_PRED));
    const conj = chance(0.5) ? '\n   AND ' : '\n    OR ';
    let sql = `SELECT ${items.join(',\n       ')}\n  FROM t1`;
    if (preds.length) sql += `\n WHERE ${preds.join(conj)}`;
    const order = [];
    for (let j = 1; j <= n; j++) order.push(j);
    order.sort(() => rnd() - 0.5);
    if (chance(0.6)) {
      sql += `\n ORDER BY ${order.map((o) => o + (chance(0.2) ? ' DESC' : '')).join(',')}`;
      query(out, sql, n, 'rowsort');
    } else query(out, sql, n, 'rowsort');
    if (chance(0.1))
      query(
        out,
        `SELECT count(*), sum(${pick(['a', 'b', 'e'])}), min(${pick(POOL_EXPR.slice(0, 16))}) FROM t1${preds.length ? ' WHERE ' + preds.join(' AND ') : ''}`,
        3,
      );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kind 5: select4 shapes (compounds of up to 8 arms over t1..t9, valuesort)

function genCompoundFile() {
  const out = [];
  header(out);
  for (let t = 1; t <= 9; t++)
    stmt(
      out,
      `CREATE TABLE t${t}(a${t} INTEGER, b${t} INTEGER, c${t} INTEGER, d${t} INTEGER, e${t} INTEGER, x${t} VARCHAR(30))`,
    );
  for (let r = 0; r < 200; r++) {
    const t = 1 + int(9);
    stmt(
      out,
      `INSERT INTO t${t} VALUES(${int(100)},${int(100)},${int(100)},${int(100)},${int(100)},'table tn${t} row ${r}')`,
    );
  }
  for (let t = 1; t <= 9; t++)
    if (chance(0.4))
      stmt(out, `CREATE INDEX t${t}i${int(5)} ON t${t}(${pick(['a', 'b', 'c', 'd', 'e'])}${t})`);
  const col = (t) => `${pick(['a', 'b', 'c', 'd', 'e'])}${t}`;
  function where(t) {
    const term = () => {
      const r = rnd();
      if (r < 0.4) {
        const items = [];
        for (let i = 0, n = 1 + int(8); i < n; i++) items.push(int(100));
        return `${col(t)} in (${items.join(',')})`;
      }
      const eqs = [];
      for (let i = 0, n = 1 + int(3); i < n; i++)
        eqs.push(chance(0.5) ? `${col(t)}=${int(100)}` : `${int(100)}=${col(t)}`);
      return `(${eqs.join(chance(0.5) ? ' AND ' : ' OR ')})`;
    };
    const terms = [];
    for (let i = 0, n = 1 + int(3); i < n; i++) terms.push(term());
    return chance(0.3) ? `NOT (${terms.join('\n           OR ')})` : terms.join('\n      OR ');
  }
  for (let i = 0; i < perFile; i++) {
    const arms = 1 + int(8);
    let sql = '';
    for (let k = 0; k < arms; k++) {
      const t = 1 + int(9);
      if (k > 0) sql += `\n${pick(['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT', 'UNION', 'EXCEPT'])}\n`;
      sql += `  SELECT ${col(t)} FROM t${t}\n   WHERE ${where(t)}`;
    }
    if (chance(0.15)) {
      sql += `\n ORDER BY 1${chance(0.5) ? ' DESC' : ''}`;
      query(out, sql, 1, 'nosort');
    } else query(out, sql, 1, 'valuesort');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kind 6: random/select and random/groupby shapes over several sources (comma and CROSS JOIN
// lists of up to four tables, SELECT *, GROUP BY several keys, aliases named like columns)

function genMultiFile(withNulls) {
  const out = [];
  header(out);
  smallTables(out, withNulls);
  for (let i = 0; i < perFile; i++) {
    const k = 1 + int(4);
    const srcs = [];
    const names = [];
    for (let j = 0; j < k; j++) {
      const t = int(3);
      let name = `tab${t}`;
      if (names.includes(name) || chance(0.5)) name = `cor${j}`;
      if (names.includes(name)) name = `cor${j}x`;
      names.push(name);
      srcs.push(name === `tab${t}` ? name : `tab${t}${chance(0.7) ? ' AS' : ''} ${name}`);
    }
    let from = srcs[0];
    for (let j = 1; j < k; j++) from += chance(0.5) ? `, ${srcs[j]}` : ` CROSS JOIN ${srcs[j]}`;
    const col = () => `${pick(names)}.col${int(3)}`;
    const colMaybe = () => (k === 1 && chance(0.5) ? `col${int(3)}` : col());
    const distinct = pick(['', 'ALL ', 'DISTINCT ']);
    const r = rnd();
    if (r < 0.2) {
      query(out, `SELECT ${distinct}* FROM ${from}`, 3 * k);
    } else if (r < 0.55) {
      const keys = [colMaybe()];
      if (chance(0.4)) keys.push(colMaybe());
      const items = [];
      const n = 1 + int(2);
      for (let j = 0; j < n; j++) {
        const e = pick([
          pick(keys),
          `${pick(keys)} * ${unary(String(int(100)))}`,
          `- ${pick(keys)}`,
          unary(String(int(100))),
          `${pick(keys)} + ${pick(keys)}`,
          `COUNT ( * )`,
          `SUM ( ${colMaybe()} )`,
          `MIN ( ${colMaybe()} )`,
          `${pick(keys)} / ${1 + int(90)}`,
        ]);
        items.push(e + (chance(0.5) ? `${chance(0.7) ? ' AS' : ''} col${int(3)}` : ''));
      }
      let sql = `SELECT ${distinct}${items.join(', ')} FROM ${from} GROUP BY ${keys.join(', ')}`;
      if (chance(0.25))
        sql += ` HAVING ${pick([`${pick(keys)} > ${int(100)}`, `COUNT ( * ) > ${int(3)}`, `NOT ${pick(keys)} IS NULL`, `SUM ( ${colMaybe()} ) < ${int(300)}`])}`;
      if (chance(0.2)) sql += ` ORDER BY ${1 + int(n)}`;
      query(out, sql, n);
    } else {
      const items = [];
      const n = 1 + int(3);
      for (let j = 0; j < n; j++) {
        const e = pick([
          colMaybe(),
          `${unary(colMaybe())} * ${unary(colMaybe())}`,
          `${colMaybe()} + ${unary(String(int(100)))}`,
          unary(String(int(100))),
          `${colMaybe()} / ${unary(colMaybe())}`,
          `( ${colMaybe()} ) * ${int(50)}`,
        ]);
        items.push(e + (chance(0.5) ? `${chance(0.7) ? ' AS' : ''} col${int(3)}` : ''));
      }
      let sql = `SELECT ${distinct}${items.join(', ')} FROM ${from}`;
      if (chance(0.4))
        sql += ` WHERE ${colMaybe()} ${pick(['<', '>', '=', '<>', 'IN (SELECT col0 FROM tab0) AND 1 >'])} ${colMaybe()}`;
      query(out, sql, n);
    }
  }
  return out;
}

fs.mkdirSync(outDir, { recursive: true });
const kinds = [
  ['expr', () => genExprFile(false)],
  ['expr-reals', () => genExprFile(false, true)],
  ['select', () => genSelectFile(false, false)],
  ['select-nulls', () => genSelectFile(true, false)],
  ['groupby', () => genSelectFile(chance(0.5), true)],
  ['index10', () => genIndexFile(10, false)],
  ['index100-nulls', () => genIndexFile(100, true)],
  ['joins', () => genJoinFile()],
  ['select1', () => genSelect1File(false)],
  ['select2-nulls', () => genSelect1File(true)],
  ['compound', () => genCompoundFile()],
  ['multi', () => genMultiFile(false)],
  ['multi-nulls', () => genMultiFile(true)],
];
for (const [name, gen] of kinds) {
  for (let f = 0; f < perKind; f++) {
    const file = path.join(outDir, `${name}-${f}.test`);
    fs.writeFileSync(file, gen().join('\n'));
  }
}
console.log(`wrote ${kinds.length * perKind} files to ${outDir}`);
