#!/usr/bin/env node
/**
 * Pack smoke test: what a user gets from `npm install modelvault`. Packs this checkout's built
 * dist/ (run `npm run build` first; jest's global setup does it for the test), installs the
 * tarball into an empty temporary project, then `require`s and `import`s it, runs a query each
 * way, checks the entry points (scripts/check-exports.js) and runs the installed `modelvault`
 * command (--version, --help, sql). Exit code 1 on any failure.
 *
 * The install is network-free: `npm install <tarball> --offline` takes the three runtime
 * dependencies from the npm cache, which `npm ci` (CI's first step) has filled. When the cache
 * lacks them (a clone installed with another cache, or a wiped one), the script says so and
 * copies the runtime dependency closure from this checkout's node_modules instead, so the test
 * never needs the network.
 *
 *   node scripts/pack-smoke.js [--keep]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { checkExports } = require('./check-exports');

const repo = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function sh(cmd, args, cwd, extra = {}) {
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, ...extra });
  return { status: res.status, stdout: res.stdout || '', stderr: res.stderr || '', error: res.error };
}

/** Copies a package and, recursively, its dependencies from the checkout's node_modules. */
function copyClosure(name, into, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const from = path.join(repo, 'node_modules', name);
  if (!fs.existsSync(from)) return; // an optional platform package not installed here
  fs.cpSync(from, path.join(into, 'node_modules', name), { recursive: true, dereference: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }))
    copyClosure(dep, into, seen);
}

function installWithoutCache(tarball, project) {
  const dest = path.join(project, 'node_modules', 'modelvault');
  fs.mkdirSync(dest, { recursive: true });
  const tar = sh('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1'], project);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(dest, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies || {})) copyClosure(dep, project);
  const bin = path.join(project, 'node_modules', '.bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, target] of Object.entries(pkg.bin || {})) {
    // npm marks bin targets executable on install; the tarball itself need not.
    fs.chmodSync(path.join(dest, target), 0o755);
    fs.symlinkSync(path.join('..', 'modelvault', target), path.join(bin, name));
  }
}

function main() {
  const keep = process.argv.includes('--keep');
  const failures = [];
  const check = (ok, label, detail = '') => {
    console.log(`${ok ? '✓' : '✗'} ${label}${ok || !detail ? '' : `\n${detail}`}`);
    if (!ok) failures.push(label);
  };
  if (!fs.existsSync(path.join(repo, 'dist', 'src', 'index.js'))) {
    console.error('dist/ is missing: run `npm run build` first');
    process.exitCode = 1;
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-pack-'));
  try {
    // --ignore-scripts: `prepare` would rebuild; the caller built dist/ already.
    const pack = sh(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], repo);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const tarball = path.join(tmp, JSON.parse(pack.stdout)[0].filename);
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    console.log(`packed ${path.basename(tarball)} (${fs.statSync(tarball).size} bytes)`);

    const project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'smoke', version: '1.0.0', private: true }),
    );
    const install = sh(
      npm,
      ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'],
      project,
    );
    if (install.status === 0)
      console.log('✓ npm install <tarball> --offline (runtime dependencies from the npm cache)');
    else {
      const reason = install.stderr.split('\n').find((l) => /ENOTCACHED|error/i.test(l)) || install.stderr;
      console.log(`! offline npm install failed (${reason.trim()}); copying the runtime dependencies`);
      console.log(
        '  from node_modules instead (the npm cache lacks them, and this test never uses the network)',
      );
      fs.rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
      installWithoutCache(tarball, project);
    }

    const dbFile = path.join(tmp, 'smoke.modelvault');
    const cjs = sh(
      process.execPath,
      [
        '-e',
        `const mv = require('modelvault');
         const conn = mv.connect(${JSON.stringify(dbFile)});
         const cur = conn.cursor();
         cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
         cur.executeMany('INSERT INTO t (name) VALUES (?)', [['ada'], ['bob']]);
         conn.commit();
         cur.execute('SELECT id, name FROM t ORDER BY id');
         console.log(JSON.stringify({ version: mv.version, rows: cur.fetchAll() }));
         conn.close();`,
      ],
      project,
    );
    check(
      cjs.status === 0 &&
        cjs.stdout.trim() ===
          JSON.stringify({
            version: pkg.version,
            rows: [
              [1, 'ada'],
              [2, 'bob'],
            ],
          }),
      'require(): create, insert, commit, select',
      cjs.stdout + cjs.stderr,
    );

    const esm = sh(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { connect, version, ProgrammingError } from 'modelvault';
         const conn = connect(${JSON.stringify(dbFile)});
         const cur = conn.cursor();
         cur.execute('SELECT count(*), max(name) FROM t');
         const rows = cur.fetchAll();
         let err = '';
         try { cur.execute('SELECT nope FROM t'); } catch (e) { err = e instanceof ProgrammingError ? 'ProgrammingError' : String(e); }
         console.log(JSON.stringify({ version, rows, err }));
         conn.close();`,
      ],
      project,
    );
    // The ProgrammingError check is what catches two module instances (ESM wrapper vs CJS).
    check(
      esm.status === 0 &&
        esm.stdout.trim() ===
          JSON.stringify({ version: pkg.version, rows: [[2, 'bob']], err: 'ProgrammingError' }),
      'import: reads the file written through require(), errors are the exported classes',
      esm.stdout + esm.stderr,
    );

    for (const f of checkExports(project)) failures.push(f);

    const bin = path.join(project, 'node_modules', '.bin', 'modelvault');
    const version = sh(bin, ['--version'], project);
    check(
      version.status === 0 && version.stdout.trim() === pkg.version,
      `modelvault --version prints ${pkg.version}`,
      version.stdout + version.stderr,
    );
    const help = sh(npm, ['exec', '--offline', '--no', '--', 'modelvault', '--help'], project);
    check(
      help.status === 0 && /Usage: modelvault/.test(help.stdout) && /\bsql\b/.test(help.stdout),
      'npx modelvault --help (from the installed tarball)',
      help.stdout + help.stderr,
    );
    const sql = sh(bin, ['sql', dbFile, 'SELECT name FROM t WHERE id = ?', '2', '--format', 'json'], project);
    let rows = null;
    try {
      rows = JSON.parse(sql.stdout);
    } catch {
      rows = null;
    }
    check(
      sql.status === 0 && JSON.stringify(rows) === JSON.stringify([{ name: 'bob' }]),
      'modelvault sql <file> "SELECT … WHERE id = ?" 2 --format json',
      sql.stdout + sql.stderr,
    );
  } catch (err) {
    failures.push(String(err));
    console.log(`✗ ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (keep) console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(failures.length ? `pack smoke: ${failures.length} failure(s)` : 'pack smoke: ok');
  if (failures.length) process.exitCode = 1;
}

main();
