/**
 * The CLI on a full disk (simulated in the child by test/helpers/enospc-preload.js): `export`,
 * `backup` and `compact --to` fail with the library's FULL error and a non-zero exit, and leave
 * no partial output behind; the source database is untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { cli } from './cli-helper';

const PRELOAD = path.join(__dirname, '..', 'helpers', 'enospc-preload.js');

describe('the CLI on a full disk', () => {
  const tmp = tmpDir('mv-cli-full-');
  const full = path.join(fs.realpathSync(tmp.dir), 'full');
  let source = '';
  beforeAll(() => {
    fs.mkdirSync(full);
    source = tmp.file('source.modelvault');
    const conn = connect(source);
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    conn.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 5_000 }, (_v, i) => [i, 'v'.repeat(100)]),
    );
    conn.commit();
    conn.close();
  });
  afterAll(() => tmp.cleanup());
  // A case that fails leaves its files to itself.
  afterEach(() => {
    for (const name of fs.readdirSync(full))
      fs.rmSync(path.join(full, name), { recursive: true, force: true });
  });

  const onFullDisk = (args: string[]) =>
    cli(args, {
      env: { NODE_OPTIONS: `--require ${PRELOAD}`, MV_FULL_DIR: full, MV_FULL_BYTES: String(64 * 1024) },
    });

  test.each([
    ['export', (dest: string) => ['export', source, 't', '--format', 'jsonl', '--to', dest]],
    ['backup', (dest: string) => ['backup', source, '--to', dest]],
    ['compact --to', (dest: string) => ['compact', source, '--to', dest]],
  ])('%s fails FULL and leaves nothing behind', (_name, args) => {
    const dest = path.join(full, 'out');
    const res = onFullDisk(args(dest));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/OperationalError FULL: database or disk is full/);
    expect(fs.readdirSync(full)).toEqual([]);
    // The source is as it was.
    const check = cli(['sql', source, 'SELECT count(*) FROM t', '--format', 'json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual([{ 'count(*)': 5000 }]);
  });

  test('the same export with room succeeds', () => {
    const dest = path.join(full, 'ok.jsonl');
    const res = cli(['export', source, 't', '--format', 'jsonl', '--to', dest]);
    expect(res.code).toBe(0);
    expect(fs.readFileSync(dest, 'utf8').trim().split('\n')).toHaveLength(5_000);
    fs.rmSync(dest);
  });
});
