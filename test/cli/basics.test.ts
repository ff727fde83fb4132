/**
 * The modelvault binary: help and version, exit codes, the error line, `sql` output formats and
 * parameters, `inspect`, `dump-catalog`, `checkpoint` and `compact`, run against real files.
 */
import * as fs from 'node:fs';
import { tmpDir } from '../helpers/tmp';
import { cli, lines } from './cli-helper';
import { colorsOn, errorLine, style } from '../../src/cli/io';
import type { Io } from '../../src/cli/io';
import { FormatError } from '../../src/errors';
import { parseParam, isReadOnlySql } from '../../src/cli/sql';
import { run } from '../../src/cli/program';

const tmp = tmpDir('mv-cli-');
afterAll(() => tmp.cleanup());

const COMMANDS = [
  'inspect',
  'dump-catalog',
  'checkpoint',
  'compact',
  'sql',
  'verify',
  'backup',
  'restore',
  'dump',
  'import',
  'export',
  'salvage',
  'types',
  'migrate',
  'shell',
];

/** An ISO 8601 time as the catalog's version records print. */
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

function seeded(): string {
  const file = tmp.file();
  const r = cli([
    'sql',
    file,
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, r REAL, b BLOB); CREATE INDEX t_name ON t (name); INSERT INTO t VALUES (1, 'a,b', 1.5, x'00ff'), (2, NULL, 2.0, NULL), (3, 'x\"y', -0.1, x'')",
  ]);
  expect(r).toEqual({ code: 0, stdout: '(3 rows changed)\n', stderr: '' });
  return file;
}

describe('help, version and exit codes', () => {
  test('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string };
    expect(cli(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  test('--help lists every command and the exit codes', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 damage found');
  });

  // In-process (the binary's own run(), minus process wiring): thirteen spawns would cost seconds.
  test.each(COMMANDS)('%s --help', async (c) => {
    let out = '';
    let err = '';
    const io: Io = {
      out: (t) => (out += t),
      err: (t) => (err += t),
      stdoutTty: false,
      stderrTty: false,
      env: {},
    };
    expect(await run([c, '--help'], io)).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: modelvault ${c} `));
    expect(out).toContain('-h, --help');
    expect(err).toBe('');
  });

  test('usage mistakes exit 2 with a usage line', () => {
    const missing = cli(['inspect']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^modelvault: usage: missing required argument 'file'/);
    const badChoice = cli(['sql', tmp.file(), 'SELECT 1', '--format', 'xml']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.stderr).toContain("argument 'xml' is invalid");
    expect(cli(['backup', tmp.file()]).code).toBe(2); // --to is required
    expect(cli(['--no-such-option']).code).toBe(2);
    // A mistyped command is not taken for a new database's name.
    const typo = cli(['inspekt']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'inspekt'");
    expect(fs.existsSync('inspekt')).toBe(false);
    expect(cli([]).code).toBe(2);
  });

  test('errors print one line, modelvault: <ErrorClass> <code>: message, and exit 1', () => {
    const missing = cli(['inspect', `${tmp.dir}/nope.modelvault`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `modelvault: OperationalError IO: no such file: ${tmp.dir}/nope.modelvault\n`,
    );
    const file = seeded();
    const syntax = cli(['sql', file, 'SELEC 1']);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^modelvault: QueryError SYNTAX: /);
    const dup = cli(['sql', file, "INSERT INTO t VALUES (1, 'dup', 0, NULL)"]);
    expect(dup).toEqual({
      code: 1,
      stdout: '',
      stderr: 'modelvault: IntegrityError PRIMARY_KEY: UNIQUE constraint failed: t.id\n',
    });
    const notDb = tmp.file();
    fs.writeFileSync(notDb, 'hello, not a database'.repeat(20));
    const bad = cli(['inspect', notDb]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^modelvault: FormatError BAD_MAGIC: /);
  });

  test('colors only on a terminal, and never with NO_COLOR', () => {
    const io = (tty: boolean, env: NodeJS.ProcessEnv): Io => ({
      out: () => {},
      err: () => {},
      stdoutTty: tty,
      stderrTty: tty,
      env,
    });
    expect(colorsOn(io(true, {}), 'out')).toBe(true);
    expect(colorsOn(io(false, {}), 'out')).toBe(false);
    expect(colorsOn(io(true, { NO_COLOR: '1' }), 'err')).toBe(false);
    expect(colorsOn(io(true, { NO_COLOR: '' }), 'err')).toBe(true);
    expect(style(io(true, {}), 'out').red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(style(io(false, {}), 'out').red('x')).toBe('x');
    // Piped output (what every spawned run here is) carries no escape codes.
    const r = cli(['sql', seeded(), 'SELECT * FROM t'], { env: { NO_COLOR: '' } });
    expect(r.stdout).not.toContain('\x1b[');
  });

  test('errorLine names the offset of format errors', () => {
    expect(errorLine(new FormatError('bad frame', 'CORRUPT', { offset: 77 }))).toBe(
      'FormatError CORRUPT: bad frame (offset 77)',
    );
  });
});

describe('sql', () => {
  test('table format', () => {
    const r = cli(['sql', seeded(), 'SELECT * FROM t ORDER BY id']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'id | name | r    | b',
        '---+------+------+--------',
        " 1 | a,b  |  1.5 | X'00FF'",
        ' 2 | NULL |  2.0 | NULL',
        " 3 | x\"y  | -0.1 | X''",
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  test('json, jsonl and csv formats', () => {
    const file = seeded();
    const json = cli(['sql', file, 'SELECT * FROM t ORDER BY id', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 1, name: 'a,b', r: 1.5, b: { $base64: 'AP8=' } },
      { id: 2, name: null, r: 2, b: null },
      { id: 3, name: 'x"y', r: -0.1, b: { $base64: '' } },
    ]);
    const jsonl = cli(['sql', file, 'SELECT id, name FROM t ORDER BY id', '-f', 'jsonl']);
    expect(lines(jsonl.stdout).map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 1, name: 'a,b' },
      { id: 2, name: null },
      { id: 3, name: 'x"y' },
    ]);
    const csv = cli(['sql', file, 'SELECT * FROM t ORDER BY id', '--format', 'csv']);
    expect(csv.stdout).toBe('id,name,r,b\r\n1,"a,b",1.5,00ff\r\n2,,2.0,\r\n3,"x""y",-0.1,""\r\n');
    expect(cli(['sql', file, 'SELECT * FROM t WHERE id > 5', '-f', 'json']).stdout).toBe('[]\n');
  });

  test('parameters bind to ? placeholders with their JSON meaning', () => {
    const file = seeded();
    const r = cli([
      'sql',
      file,
      'SELECT ? AS a, ? AS b, ? AS c, ? AS d, typeof(?) AS e, ? AS f',
      '-f',
      'jsonl',
      '42',
      '1.25',
      'null',
      'text',
      '"7"',
      '9007199254740993',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      a: 42,
      b: 1.25,
      c: null,
      d: 'text',
      e: 'text',
      f: '9007199254740993',
    });
    const named = cli([
      'sql',
      file,
      'SELECT :a AS a, $b AS b, @c AS c',
      '-f',
      'jsonl',
      '-p',
      'a=1',
      '--param',
      '$b=two',
      '-p',
      'c=null',
    ]);
    expect(named).toEqual({ code: 0, stdout: '{"a":1,"b":"two","c":null}\n', stderr: '' });
    expect(cli(['sql', file, 'SELECT :a', '-p', 'a=1', '2']).code).toBe(2);
    expect(cli(['sql', file, 'SELECT :a', '-p', 'novalue']).stderr).toBe(
      "modelvault: usage: --param expects name=value, got 'novalue'\n",
    );
    expect(parseParam('9007199254740993')).toBe(9007199254740993n);
    expect(parseParam('-3')).toBe(-3);
    expect(parseParam('"-3"')).toBe('-3');
    expect(parseParam('true')).toBe(true);
    const upd = cli(['sql', file, 'UPDATE t SET name = ? WHERE id = ?', 'renamed', '2']);
    expect(upd.stdout).toBe('(1 row changed)\n');
    expect(cli(['sql', file, 'SELECT name FROM t WHERE id = 2', '-f', 'csv']).stdout).toBe(
      'name\r\nrenamed\r\n',
    );
  });

  test('reading statements open read-only and do not create files', () => {
    expect(isReadOnlySql('SELECT 1')).toBe(true);
    expect(isReadOnlySql('with x as (select 1) select * from x')).toBe(true);
    expect(isReadOnlySql('WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x')).toBe(false);
    expect(isReadOnlySql('PRAGMA table_info(t)')).toBe(true);
    expect(isReadOnlySql('PRAGMA user_version = 3')).toBe(false);
    const missing = `${tmp.dir}/absent.modelvault`;
    expect(cli(['sql', missing, 'SELECT 1']).code).toBe(1);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('inspect, dump-catalog, checkpoint, compact', () => {
  test('inspect reports layout, collections and indexes; --json the same as data', () => {
    const file = seeded();
    const text = cli(['inspect', file]);
    expect(text.code).toBe(0);
    const size = fs.statSync(file).size;
    expect(text.stdout).toContain('format version:           1.6\n');
    expect(text.stdout).toContain(`file size:                ${size} B`);
    expect(text.stdout).toContain('last transaction:         3\n');
    expect(text.stdout).toContain('checkpoint:               none (opening replays the whole log)\n');
    expect(text.stdout).toContain('reserved space:           0 B\n');
    expect(text.stdout).toMatch(
      new RegExp(`\n  t  3 rows  \\(id 1, schema v2, registered ${ISO}\\)\n    index t_name \\(name\\)\n`),
    );
    const json = JSON.parse(cli(['inspect', file, '--json']).stdout) as {
      fileBytes: number;
      lastTxnId: number;
      logBytesSinceCheckpoint: number;
      collections: {
        name: string;
        rows: number;
        schemaVersionTime: string;
        indexes: { name: string; columns: string[] }[];
      }[];
      checkpoint: unknown;
    };
    expect(json.fileBytes).toBe(size);
    expect(json.lastTxnId).toBe(3);
    expect(json.logBytesSinceCheckpoint).toBe(size - 192);
    expect(json.collections).toEqual([
      expect.objectContaining({
        name: 't',
        rows: 3,
        schemaVersion: 2,
        indexes: [{ name: 't_name', unique: false, columns: ['name'] }],
      }),
    ]);
    expect(json.collections[0].schemaVersionTime).toMatch(new RegExp(`^${ISO}$`));
    expect(json.checkpoint).toBeNull();
  });

  test('checkpoint folds the log in; inspect then shows it', () => {
    const file = seeded();
    const r = cli(['checkpoint', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^checkpoint written: .* at transaction 3 \(\d+ bytes of log folded in; file \d+ bytes\)\n$/,
    );
    const json = JSON.parse(cli(['inspect', file, '--json']).stdout) as {
      checkpoint: { txnId: number; txnsSince: number };
      logBytesSinceCheckpoint: number;
    };
    expect(json.checkpoint).toEqual(expect.objectContaining({ txnId: 3, txnsSince: 0 }));
    expect(json.logBytesSinceCheckpoint).toBe(0);
    cli(['sql', file, "INSERT INTO t VALUES (4, 'd', 0, NULL)"]);
    const after = JSON.parse(cli(['inspect', file, '--json']).stdout) as {
      checkpoint: { txnsSince: number };
    };
    expect(after.checkpoint.txnsSince).toBe(1);
  });

  test('dump-catalog prints schemas, and --json the catalog as data', () => {
    const file = seeded();
    const text = cli(['dump-catalog', file]);
    expect(text.stdout.replace(new RegExp(ISO, 'g'), '<time>')).toBe(
      [
        't (id 1, schema v2)',
        '  primary key: id',
        '  id: int64',
        '  name: string?',
        '  r: float64?',
        '  b: bytes?',
        '  index t_name (name)',
        '  version 1: create, registered <time>',
        '  version 2: compatible, registered <time>',
        '  CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, r REAL, b BLOB)',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(cli(['dump-catalog', file, '--json']).stdout) as unknown[];
    expect(json).toEqual([
      expect.objectContaining({
        name: 't',
        primaryKey: ['id'],
        fields: [
          { path: 'id', type: 'int64', constraints: [] },
          { path: 'name', type: 'string?', constraints: [] },
          { path: 'r', type: 'float64?', constraints: [] },
          { path: 'b', type: 'bytes?', constraints: [] },
        ],
        indexes: [{ name: 't_name', unique: false, columns: ['name'] }],
        versions: [
          { version: 1, change: 'create', time: expect.stringMatching(new RegExp(`^${ISO}$`)) as unknown },
          {
            version: 2,
            change: 'compatible',
            time: expect.stringMatching(new RegExp(`^${ISO}$`)) as unknown,
          },
        ],
      }),
    ]);
  });

  test('compact in place and --to a copy; both keep every row', () => {
    const file = seeded();
    cli(['sql', file, [0, 1, 2, 3, 4].map((i) => `UPDATE t SET name = 'v${i}' WHERE id = 1`).join('; ')]);
    const before = fs.statSync(file).size;
    const copy = tmp.file();
    const to = cli(['compact', file, '--to', copy]);
    expect(to.stdout).toBe(
      `compacted ${file} (${before} bytes) into ${copy} (${fs.statSync(copy).size} bytes)\n`,
    );
    expect(fs.statSync(file).size).toBe(before);
    const r = cli(['compact', file]);
    expect(r.code).toBe(0);
    const after = fs.statSync(file).size;
    expect(after).toBeLessThan(before);
    expect(r.stdout).toBe(`compacted ${file}: ${before} → ${after} bytes\n`);
    for (const f of [file, copy]) {
      expect(cli(['sql', f, 'SELECT id, name FROM t ORDER BY id', '-f', 'csv']).stdout).toBe(
        'id,name\r\n1,v4\r\n2,\r\n3,"x""y"\r\n',
      );
    }
  });
});
