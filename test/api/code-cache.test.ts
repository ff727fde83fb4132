/**
 * The V8 code cache of the built package (src/startup/code-cache.ts): a fresh process loads the
 * package's modules from it, and anything that makes an entry doubtful — a module whose text
 * changed (even to the same length, which V8 alone would accept), a damaged cache file, a cache
 * made by another V8, a debugger — means the module compiles from its own text as usual. Runs
 * the built package in child processes (jest's global setup builds dist/ and the cache).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpDir } from '../helpers/tmp';
import { cacheLayout } from '../../src/startup/code-cache';

const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const cacheFile = path.join(dist, 'src', 'startup', 'code-cache.bin');

interface Report {
  stats: { used: number; rejected: number; compiled: number };
  version: string;
  compile: string;
  rows: unknown[];
}

/** Load the package at `distDir` in a fresh process, run a few statements, report. */
function load(distDir: string, nodeArgs: string[] = []): Report {
  const script = `
    const mv = require(${JSON.stringify(path.join(distDir, 'src', 'index.js'))});
    const { codeCacheStats } = require(${JSON.stringify(path.join(distDir, 'src', 'startup', 'code-cache.js'))});
    const conn = mv.connect(':memory:');
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    cur.executeMany('INSERT INTO t VALUES (?, ?)', [[1, 'a'], [2, 'b'], [3, 'c']]);
    cur.execute('SELECT name, count(*) OVER () FROM t WHERE id >= ? ORDER BY id DESC', [2]);
    const rows = cur.fetchAll();
    conn.close();
    console.log(JSON.stringify({
      stats: codeCacheStats, version: mv.version, rows,
      compile: require('node:module').prototype._compile.name,
    }));`;
  const res = spawnSync(process.execPath, [...nodeArgs, '-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`child failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as Report;
}

const EXPECTED_ROWS = [
  ['c', 2],
  ['b', 2],
];

/** A copy of dist/ (the shipped folders) beside a link to node_modules, to change safely. */
function copyDist(dir: string): string {
  const copy = path.join(dir, 'dist');
  for (const sub of ['src', 'cursor', 'parser', 'planner', 'storage'])
    fs.cpSync(path.join(dist, sub), path.join(copy, sub), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return copy;
}

describe('the code cache of the built package', () => {
  const tmp = tmpDir('mv-code-cache-');
  afterAll(() => tmp.cleanup());

  let baseline: Report;
  beforeAll(() => {
    baseline = load(dist);
  });

  test('a fresh process loads the package from it, and the hook is gone afterwards', () => {
    expect(fs.existsSync(cacheFile)).toBe(true);
    expect(baseline.stats.used).toBeGreaterThan(200);
    expect(baseline.stats.rejected).toBe(0);
    expect(baseline.stats.compiled).toBe(0);
    expect(baseline.compile).not.toBe('compileCached');
    expect(baseline.rows).toEqual(EXPECTED_ROWS);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(baseline.version).toBe(pkg.version);
  });

  test('a module whose text changed to the same length runs its new text', () => {
    const copy = copyDist(path.join(tmp.dir, 'changed'));
    const versionFile = path.join(copy, 'src', 'version.js');
    const text = fs.readFileSync(versionFile, 'utf8');
    const changed = text.replace(
      /version = '([^']*)'/,
      (_m, v: string) => `version = '${'9'.repeat(v.length)}'`,
    );
    expect(changed).not.toBe(text);
    expect(changed.length).toBe(text.length);
    fs.writeFileSync(versionFile, changed);
    const report = load(copy);
    expect(report.version).toMatch(/^9+$/);
    expect(report.stats.used).toBe(baseline.stats.used - 1);
    expect(report.rows).toEqual(EXPECTED_ROWS);
  });

  test('msgpackr, loaded with the storage layer, comes from the cache; a changed copy of it compiles from its text', () => {
    const { entries } = cacheLayout(fs.readFileSync(cacheFile));
    const dependency = entries.filter((e) => e.file.startsWith('dependency:'));
    expect(dependency.map((e) => e.file)).toEqual(['dependency:msgpackr/dist/node.cjs']);
    // A copy of the package whose node_modules holds its own msgpackr: the same text is served
    // from the cache wherever npm put it; edited, its SHA-1 no longer matches and it compiles as usual.
    const dir = path.join(tmp.dir, 'dependency');
    const copy = path.join(dir, 'dist');
    for (const sub of ['src', 'cursor', 'parser', 'planner', 'storage'])
      fs.cpSync(path.join(dist, sub), path.join(copy, sub), { recursive: true });
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(modules);
    for (const name of fs.readdirSync(path.join(root, 'node_modules')))
      if (name !== 'msgpackr')
        fs.symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name), 'dir');
    fs.cpSync(path.join(root, 'node_modules', 'msgpackr'), path.join(modules, 'msgpackr'), {
      recursive: true,
    });
    const same = load(copy);
    expect(same.stats.used).toBe(baseline.stats.used);
    const main = path.join(modules, 'msgpackr', 'dist', 'node.cjs');
    fs.appendFileSync(main, '\n// edited\n');
    const changed = load(copy);
    expect(changed.stats.used).toBe(baseline.stats.used - 1);
    expect(changed.rows).toEqual(EXPECTED_ROWS);
  });

  test('a damaged cache file, or one made by another V8, is not used', () => {
    const damaged = copyDist(path.join(tmp.dir, 'damaged'));
    const bytes = fs.readFileSync(path.join(damaged, 'src', 'startup', 'code-cache.bin'));
    fs.writeFileSync(path.join(damaged, 'src', 'startup', 'code-cache.bin'), bytes.subarray(0, 1000));
    const a = load(damaged);
    expect(a.stats).toEqual({ used: 0, rejected: 0, compiled: 0 });
    expect(a.rows).toEqual(EXPECTED_ROWS);

    const foreign = copyDist(path.join(tmp.dir, 'foreign'));
    const file = path.join(foreign, 'src', 'startup', 'code-cache.bin');
    const buf = fs.readFileSync(file);
    const preambleLength = buf.readUInt32LE(0);
    const preamble = buf.toString('utf8', 4, 4 + preambleLength);
    // Same length, another version: every offset stays right.
    const other = preamble.replace(/"v8":"([^"]*)"/, (_m, v: string) => `"v8":"${'0'.repeat(v.length)}"`);
    expect(other).not.toBe(preamble);
    fs.writeFileSync(
      file,
      Buffer.concat([buf.subarray(0, 4), Buffer.from(other), buf.subarray(4 + preambleLength)]),
    );
    const b = load(foreign);
    expect(b.stats).toEqual({ used: 0, rejected: 0, compiled: 0 });
    expect(b.rows).toEqual(EXPECTED_ROWS);
  });

  test('entry data V8 refuses is counted as rejected and the modules compile normally', () => {
    const copy = copyDist(path.join(tmp.dir, 'refused'));
    const file = path.join(copy, 'src', 'startup', 'code-cache.bin');
    const buf = Buffer.from(fs.readFileSync(file));
    // Scramble the start of every entry's data (V8's own header: magic, version, checksums).
    const { entries, base } = cacheLayout(buf);
    for (const e of entries) buf.fill(0xa5, base + e.offset, base + e.offset + 16);
    fs.writeFileSync(file, buf);
    const report = load(copy);
    // The first refusal stops the cache for the rest of the load: each costs more than a compile.
    expect(report.stats).toEqual({ used: 0, rejected: 1, compiled: 0 });
    expect(report.rows).toEqual(EXPECTED_ROWS);
  });

  test('a process started with other V8 flags compiles as usual after one refusal', () => {
    const report = load(dist, ['--max-old-space-size=3000']);
    expect(report.stats).toEqual({ used: 0, rejected: 1, compiled: 0 });
    expect(report.rows).toEqual(EXPECTED_ROWS);
  });

  test.each([['--inspect=127.0.0.1:0'], ['--enable-source-maps']])(
    'with %s, modules compile as Node compiles them',
    (flag) => {
      const report = load(dist, [flag]);
      expect(report.stats).toEqual({ used: 0, rejected: 0, compiled: 0 });
      expect(report.rows).toEqual(EXPECTED_ROWS);
    },
  );

  test('a build that cannot make the cache still succeeds, without a stale cache', () => {
    const dir = path.join(tmp.dir, 'unbuilt');
    const copy = copyDist(dir);
    const script = path.join(dir, 'scripts', 'build-code-cache.js');
    fs.mkdirSync(path.dirname(script));
    fs.copyFileSync(path.join(root, 'scripts', 'build-code-cache.js'), script);
    // No temp folder for the warm-up's database.
    const res = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: path.join(dir, 'missing') },
    });
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/code cache not written/);
    expect(fs.existsSync(path.join(copy, 'src', 'startup', 'code-cache.bin'))).toBe(false);
    const report = load(copy);
    expect(report.stats).toEqual({ used: 0, rejected: 0, compiled: 0 });
    expect(report.rows).toEqual(EXPECTED_ROWS);
  });

  test('the ES module entry loads through it too', () => {
    const script = `
      import { connect } from ${JSON.stringify(path.join(root, 'esm', 'index.mjs'))};
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(path.join(root, 'package.json'))});
      const { codeCacheStats } = require('./dist/src/startup/code-cache.js');
      const cur = connect(':memory:').cursor();
      cur.execute('SELECT 40 + 2');
      console.log(JSON.stringify({ stats: codeCacheStats, rows: cur.fetchAll() }));`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    const report = JSON.parse(res.stdout) as Pick<Report, 'stats' | 'rows'>;
    expect(report.stats.used).toBe(baseline.stats.used);
    expect(report.rows).toEqual([[42]]);
  });
});
