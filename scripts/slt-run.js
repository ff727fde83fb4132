#!/usr/bin/env node
/*
 * sqllogictest runner for ModelVault (plain Node, uses the built dist/: run `npm run build` first).
 *
 *   node scripts/slt-run.js [--oracle] [--show N] [--timeout-ms MS] FILE_OR_DIR...
 *   SLT_MV_ROOT=/other/checkout node scripts/slt-run.js ...   (that checkout's dist/)
 *
 * Each file runs in a child process (a fresh `connect(':memory:')` and a fresh better-sqlite3
 * database), so a hang is reported as one and cannot stop the run. Every record also runs on
 * better-sqlite3, which classifies the failures: a record SQLite itself does not answer as
 * written ("sqlite-differs") is not ModelVault's problem. With --oracle (or for a query record
 * that has no expected result) the expected answer is better-sqlite3's.
 *
 * Outcome classes, per record:
 *   pass      the answer the file (or SQLite) expects
 *   wrong     a different answer (rows, or a statement that succeeded where it should fail)
 *   error     a ModelVault error class (class/code shown), where SQLite answers
 *   crash     an error that is not a ModelVault error (TypeError, RangeError, ...)
 *   n/a       SQLite does not give the expected answer either
 *   skipped   skipif sqlite / onlyif another engine / after `halt`
 *
 * Values are formatted as sqllogictest's SQLite driver does: NULL, `(empty)` for '', I columns
 * as 64-bit integers (reals truncated, text by its numeric prefix), R as %.3f, T as text with
 * characters outside ' '..'~' as '@'. Results longer than hash-threshold are MD5-hashed.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { createHash } = require('crypto');
const { spawnSync } = require('child_process');

const args = process.argv.slice(2);
const opt = { oracle: false, show: 8, timeoutMs: 120000, one: null, json: false };
const inputs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--oracle') opt.oracle = true;
  else if (a === '--show') opt.show = Number(args[++i]);
  else if (a === '--timeout-ms') opt.timeoutMs = Number(args[++i]);
  else if (a === '--one') opt.one = args[++i];
  else if (a === '--json') opt.json = true;
  else inputs.push(a);
}

// ---------------------------------------------------------------------------------------------
// Parsing

function parse(text) {
  const lines = text.split(/\r?\n/);
  const records = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('#'))) i++;
    if (i >= lines.length) break;
    const start = i + 1;
    const conds = [];
    let head = lines[i];
    while (/^(skipif|onlyif)\s/.test(head)) {
      const [kind, db] = head.split(/\s+/);
      conds.push({ kind, db });
      head = lines[++i];
    }
    i++;
    const words = head.trim().split(/\s+/);
    const rec = { line: start, conds, kind: words[0] };
    if (words[0] === 'statement') {
      rec.expectOk = words[1] === 'ok';
      const sql = [];
      while (i < lines.length && lines[i].trim() !== '') sql.push(lines[i++]);
      rec.sql = sql.join('\n');
    } else if (words[0] === 'query') {
      rec.types = words[1] || '';
      rec.sort = words[2] || 'nosort';
      rec.label = words[3] || null;
      const sql = [];
      while (i < lines.length && lines[i].trim() !== '' && lines[i] !== '----') sql.push(lines[i++]);
      rec.sql = sql.join('\n');
      rec.expected = null;
      if (lines[i] === '----') {
        i++;
        const exp = [];
        while (i < lines.length && lines[i].trim() !== '') exp.push(lines[i++]);
        rec.expected = exp;
      }
    } else if (words[0] === 'hash-threshold') {
      rec.threshold = Number(words[1]);
    } else if (words[0] === 'halt') {
      // nothing more
    } else {
      rec.kind = 'unknown';
      rec.text = head;
      while (i < lines.length && lines[i].trim() !== '') i++;
    }
    records.push(rec);
  }
  return records;
}

function applies(rec) {
  for (const c of rec.conds) {
    if (c.kind === 'skipif' && c.db === 'sqlite') return false;
    if (c.kind === 'onlyif' && c.db !== 'sqlite') return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Formatting, as the sqllogictest SQLite driver prints values

/** The leading numeric prefix of a text, as sqlite3_column_int64/double read it. */
function textNumber(s) {
  const m = /^\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function realText(x) {
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : x < 0 ? '-Inf' : 'NaN';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toFixed(1);
  let s = x.toPrecision(15);
  if (s.includes('e')) {
    let [m, e] = s.split('e');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '.0');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '.0');
  return s;
}

function isBytes(v) {
  return v instanceof Uint8Array;
}

function fmt(v, type) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') v = v ? 1n : 0n;
  if (type === 'I') {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)).toString() : '0';
    if (typeof v === 'string') return BigInt(Math.trunc(textNumber(v))).toString();
    return '0';
  }
  if (type === 'R') {
    if (typeof v === 'bigint') return Number(v).toFixed(3);
    if (typeof v === 'number') return v.toFixed(3);
    if (typeof v === 'string') return textNumber(v).toFixed(3);
    return '0.000';
  }
  let s;
  if (typeof v === 'bigint') s = v.toString();
  else if (typeof v === 'number') s = realText(v);
  else if (isBytes(v)) s = Buffer.from(v).toString('latin1');
  else s = String(v);
  if (s === '') return '(empty)';
  return s.replace(/[^ -~]/g, '@');
}

/** Formatted values of a result, sorted as the record asks. */
function render(rows, rec) {
  const types = rec.types;
  let frows = rows.map((r) => r.map((v, j) => fmt(v, types[j] || 'T')));
  if (rec.sort === 'rowsort') {
    frows.sort((a, b) => {
      for (let j = 0; j < a.length; j++) {
        if (a[j] !== b[j]) return a[j] < b[j] ? -1 : 1;
      }
      return 0;
    });
  }
  let vals = frows.flat();
  if (rec.sort === 'valuesort') vals = vals.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return vals;
}

function dropPointZero(v) {
  return /^-?\d+\.0$/.test(v) ? v.slice(0, -2) : v;
}

function digest(vals, threshold) {
  if (threshold > 0 && vals.length > threshold) {
    const h = createHash('md5');
    for (const v of vals) h.update(v + '\n');
    return [`${vals.length} values hashing to ${h.digest('hex')}`];
  }
  return vals;
}

// ---------------------------------------------------------------------------------------------
// Running one file (child process)

function errInfo(err, mv) {
  if (err instanceof mv.ModelVaultError) {
    return { lib: true, cls: err.constructor.name, code: err.code, msg: String(err.message).split('\n')[0] };
  }
  return {
    lib: false,
    cls: (err && err.constructor && err.constructor.name) || typeof err,
    code: '',
    msg: String((err && err.message) || err).split('\n')[0],
    stack: err && err.stack ? String(err.stack).split('\n').slice(0, 6).join('\n') : '',
  };
}

/**
 * Deliberate differences listed in docs/sql.md "Differences from SQLite": a record that fails only
 * through one of them does not apply to ModelVault.
 */
function documented(err) {
  if (!err || !err.lib) return null;
  if (/needs a declared type/.test(err.msg)) return 'typeless column refused';
  if (/compared with an? \w+ literal/.test(err.msg))
    return 'typed column compared with a literal of another type';
  if (/length must be at most/.test(err.msg)) return 'VARCHAR(n) enforced';
  if (/^(CREATE|DROP) TRIGGER is not supported/.test(err.msg)) return 'triggers are not supported';
  if (err.cls === 'ValidationError' && /expected /.test(err.msg))
    return 'value of another type stored in a typed column';
  return null;
}

function runOne(file) {
  // SLT_MV_ROOT: another checkout's build, to measure before and after a change.
  const root = process.env.SLT_MV_ROOT || path.resolve(__dirname, '..');
  const mv = require(path.join(root, 'dist/src/index.js'));
  const Sqlite = require('better-sqlite3');
  const conn = mv.connect(':memory:', { autocommit: true, safeIntegers: true });
  const lite = new Sqlite(':memory:');
  lite.defaultSafeIntegers(true);
  const records = parse(fs.readFileSync(file, 'utf8'));
  let threshold = 8; // sqllogictest.c DEFAULT_HASH_THRESHOLD
  let halted = false;
  // After a statement failed through a documented difference, later records may differ because
  // of it (a row that was not stored): their failures are reported as 'cascade', not as bugs.
  let tainted = null;
  const out = [];

  const runMv = (sql, isQuery) => {
    try {
      const cur = conn.cursor();
      cur.execute(sql);
      if (!isQuery) return { ok: true };
      if (cur.description === null) return { ok: true, rows: [] };
      return { ok: true, rows: cur.fetchAll() };
    } catch (err) {
      return { ok: false, err: errInfo(err, mv) };
    }
  };
  const runLite = (sql, isQuery) => {
    try {
      if (!isQuery) {
        lite.exec(sql);
        return { ok: true };
      }
      const st = lite.prepare(sql);
      if (!st.reader) {
        st.run();
        return { ok: true, rows: [] };
      }
      return { ok: true, rows: st.raw(true).all() };
    } catch (err) {
      return {
        ok: false,
        err: { lib: true, cls: 'SqliteError', code: err.code || '', msg: String(err.message) },
      };
    }
  };

  for (const rec of records) {
    if (rec.kind === 'hash-threshold') {
      threshold = rec.threshold;
      continue;
    }
    if (rec.kind === 'halt') {
      if (applies(rec)) halted = true;
      continue;
    }
    if (rec.kind === 'unknown') continue;
    const base = { line: rec.line, sql: rec.sql };
    if (halted || !applies(rec)) {
      out.push({ ...base, outcome: 'skipped' });
      continue;
    }
    if (rec.kind === 'statement') {
      const m = runMv(rec.sql, false);
      const l = runLite(rec.sql, false);
      const liteAsFile = l.ok === rec.expectOk;
      if (m.ok === rec.expectOk) out.push({ ...base, outcome: 'pass' });
      else if (!liteAsFile && m.ok === l.ok) out.push({ ...base, outcome: 'n/a', why: 'sqlite-differs' });
      else if (m.ok)
        out.push({
          ...base,
          outcome: tainted ? 'cascade' : 'wrong',
          why: 'statement succeeded, expected an error',
        });
      else if (documented(m.err)) {
        tainted = documented(m.err);
        out.push({ ...base, outcome: 'n/a', why: 'documented: ' + tainted, err: m.err });
      } else out.push({ ...base, outcome: tainted ? 'cascade' : m.err.lib ? 'error' : 'crash', err: m.err });
      continue;
    }
    // query
    const m = runMv(rec.sql, true);
    const l = runLite(rec.sql, true);
    const liteVals = l.ok ? digest(render(l.rows, rec), threshold) : null;
    let expected = rec.expected;
    if (opt.oracle || expected === null) expected = liteVals;
    const same = (a, b) => a !== null && b !== null && a.length === b.length && a.every((v, j) => v === b[j]);
    const liteAsFile = l.ok && same(liteVals, expected);
    if (expected === null) {
      // SQLite refuses it and the file has no answer: the record only asks for an error.
      out.push({ ...base, outcome: m.ok ? 'n/a' : 'pass', why: 'sqlite-error' });
      continue;
    }
    if (!m.ok) {
      if (!liteAsFile) out.push({ ...base, outcome: 'n/a', why: 'sqlite-differs', err: m.err });
      else if (documented(m.err))
        out.push({ ...base, outcome: 'n/a', why: 'documented: ' + documented(m.err), err: m.err });
      else out.push({ ...base, outcome: tainted ? 'cascade' : m.err.lib ? 'error' : 'crash', err: m.err });
      continue;
    }
    let got;
    try {
      got = digest(render(m.rows, rec), threshold);
    } catch (err) {
      out.push({ ...base, outcome: 'crash', err: errInfo(err, mv) });
      continue;
    }
    if (same(got, expected)) out.push({ ...base, outcome: 'pass' });
    else if (!liteAsFile && same(got, liteVals))
      out.push({ ...base, outcome: 'n/a', why: 'sqlite-differs, mv = sqlite' });
    else if (!liteAsFile) out.push({ ...base, outcome: 'n/a', why: 'sqlite-differs' });
    else if (
      same(
        digest(render(m.rows, rec).map(dropPointZero), threshold),
        digest(render(l.rows, rec).map(dropPointZero), threshold),
      )
    ) {
      // docs/sql.md "INTEGER or REAL, when JS numbers cannot tell": a whole number of a column
      // whose class is decided per row comes back as a JS number, shown here as a REAL.
      out.push({ ...base, outcome: 'n/a', why: 'documented: whole number of a mixed column is a JS number' });
    } else {
      const full = l.ok ? render(l.rows, rec) : [];
      const mine = render(m.rows, rec);
      out.push({
        ...base,
        outcome: tainted ? 'cascade' : 'wrong',
        want: full.slice(0, 12),
        got: mine.slice(0, 12),
      });
    }
  }
  conn.close();
  lite.close();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Driver

function listFiles(p) {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  return fs
    .readdirSync(p)
    .sort()
    .flatMap((n) => listFiles(path.join(p, n)));
}

function clusterKey(r) {
  if (r.outcome === 'error' || r.outcome === 'crash') {
    const msg = r.err.msg
      .replace(/"[^"]*"|'[^']*'|`[^`]*`/g, 'X')
      .replace(/\b\d+(\.\d+)?\b/g, 'N')
      .replace(/\b(tab|col|view_|t|cor|idx_)\w*/g, 'ID');
    return `${r.outcome} ${r.err.cls}${r.err.code ? '/' + r.err.code : ''}: ${msg.slice(0, 110)}`;
  }
  if (r.outcome === 'wrong') return `wrong: ${r.why || 'result differs'}`;
  if (r.outcome === 'cascade')
    return `cascade (after a documented difference): ${r.err ? r.err.cls + ' ' + r.err.msg.slice(0, 80) : r.why || 'result differs'}`;
  return r.outcome;
}

if (opt.one) {
  const res = runOne(opt.one).map((r) => (r.outcome === 'pass' ? { line: r.line, outcome: r.outcome } : r));
  // Written synchronously to fd 1: process.exit() could cut a pipe write short.
  fs.writeSync(1, JSON.stringify(res));
} else {
  main();
}

function main() {
  const files = inputs.flatMap(listFiles).filter((f) => f.endsWith('.test'));
  const totals = { pass: 0, wrong: 0, error: 0, crash: 0, cascade: 0, 'n/a': 0, skipped: 0, hang: 0 };
  const clusters = new Map();
  const report = [];
  for (const file of files) {
    const child = spawnSync(
      process.execPath,
      [__filename, '--one', file, ...(opt.oracle ? ['--oracle'] : [])],
      {
        timeout: opt.timeoutMs,
        maxBuffer: 1 << 30,
        encoding: 'utf8',
      },
    );
    const counts = { pass: 0, wrong: 0, error: 0, crash: 0, cascade: 0, 'n/a': 0, skipped: 0, hang: 0 };
    if (child.error || child.status !== 0) {
      const hang = child.error && child.error.code === 'ETIMEDOUT';
      counts[hang ? 'hang' : 'crash']++;
      const key = hang
        ? 'hang (file timed out)'
        : `runner crash: ${(child.stderr || '').split('\n').slice(0, 3).join(' ')}`;
      if (!clusters.has(key)) clusters.set(key, []);
      clusters.get(key).push({ file, line: 0, sql: '' });
    } else {
      const res = JSON.parse(child.stdout);
      for (const r of res) {
        counts[r.outcome]++;
        if (r.outcome === 'pass' || r.outcome === 'skipped' || r.outcome === 'n/a') continue;
        const key = clusterKey(r);
        if (!clusters.has(key)) clusters.set(key, []);
        clusters.get(key).push({ file, ...r });
      }
      const naKey = new Map();
      for (const r of res) {
        if (r.outcome !== 'n/a') continue;
        const k = `n/a ${r.why}${r.err ? ' (mv: ' + r.err.cls + ')' : ''}`;
        naKey.set(k, (naKey.get(k) || 0) + 1);
      }
      counts.naWhy = Object.fromEntries(naKey);
    }
    for (const k of Object.keys(totals)) totals[k] += counts[k];
    const applicable = counts.pass + counts.wrong + counts.error + counts.crash + counts.hang;
    const rate = applicable ? ((100 * counts.pass) / applicable).toFixed(2) : '-';
    report.push({ file, ...counts, rate });
    if (!opt.json) {
      console.log(
        `${file}: pass ${counts.pass} wrong ${counts.wrong} error ${counts.error} crash ${counts.crash}` +
          ` hang ${counts.hang} cascade ${counts.cascade} n/a ${counts['n/a']} skipped ${counts.skipped} -> ${rate}%` +
          (counts.naWhy && Object.keys(counts.naWhy).length ? ` ${JSON.stringify(counts.naWhy)}` : ''),
      );
    }
  }
  const applicable = totals.pass + totals.wrong + totals.error + totals.crash + totals.hang;
  console.log(
    `TOTAL: pass ${totals.pass} wrong ${totals.wrong} error ${totals.error} crash ${totals.crash} hang ${totals.hang}` +
      ` cascade ${totals.cascade} n/a ${totals['n/a']} skipped ${totals.skipped} -> ${applicable ? ((100 * totals.pass) / applicable).toFixed(2) : '-'}%`,
  );
  const sorted = [...clusters.entries()].sort((a, b) => b[1].length - a[1].length);
  for (const [key, items] of sorted) {
    console.log(`\n== ${items.length}x ${key}`);
    for (const it of items.slice(0, opt.show)) {
      console.log(`  ${it.file}:${it.line}: ${String(it.sql).replace(/\s+/g, ' ').slice(0, 300)}`);
      if (it.want) console.log(`    want ${JSON.stringify(it.want)}\n    got  ${JSON.stringify(it.got)}`);
      if (it.err && it.err.stack && it.outcome === 'crash')
        console.log('    ' + it.err.stack.replace(/\n/g, '\n    '));
    }
  }
  if (opt.json) fs.writeFileSync('/tmp/slt/last-report.json', JSON.stringify({ report, totals }, null, 1));
}
