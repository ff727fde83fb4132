/**
 * A writer opened on a file (or in a folder) this process may only read is OperationalError
 * READ_ONLY up front, naming what is not writable and how to read the file; read-only opens work.
 * The permission is simulated with a spy on `fs.accessSync` (tests may run as root, whom the
 * kernel lets write anything); checked by hand as an unprivileged user too (docs/errors.md).
 */
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as path from 'node:path';
import { Database, OperationalError, connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { thrown } from '../helpers/thrown';

function denied(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: permission denied, access`), { code, syscall: 'access' });
}

/** Make accessSync(W_OK) fail with `code` for `target`. */
function refuseWrites(target: string, code: string): void {
  const real = fsModule.accessSync.bind(fsModule);
  jest.spyOn(fsModule, 'accessSync').mockImplementation((p: fs.PathLike, mode?: number) => {
    if (String(p) === target && mode === fs.constants.W_OK) throw denied(code);
    return real(p, mode);
  });
}

function openError(fn: () => unknown): OperationalError {
  return thrown(fn, OperationalError, 'READ_ONLY');
}

describe('a database this process may not write', () => {
  const tmp = tmpDir();
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => tmp.cleanup());

  function existing(): string {
    const file = tmp.file();
    const c = connect(file);
    c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    c.execute('INSERT INTO t VALUES (1)');
    c.commit();
    c.close();
    return fs.realpathSync(file);
  }

  test.each(['EACCES', 'EPERM', 'EROFS'])(
    'a file not writable (%s): READ_ONLY, and it opens read-only',
    (code) => {
      const file = existing();
      refuseWrites(file, code);
      const err = openError(() => connect(file));
      expect(err.message).toContain(`the database file is not writable by this process (${code})`);
      expect(err.message).toContain('{ readOnly: true }');
      openError(() => Database.open(file));
      // Nothing was left behind by the refused opens, and reading works.
      expect(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.tmp'))).toEqual([]);
      const reader = connect(file, { readOnly: true });
      try {
        expect(reader.cursor().execute('SELECT count(*) FROM t').fetchAll()).toEqual([[1]]);
      } finally {
        reader.close();
      }
    },
  );

  test('a new file in a folder not writable: READ_ONLY naming the folder, nothing created', () => {
    const file = path.join(fs.realpathSync(tmp.dir), 'new.modelvault');
    refuseWrites(path.dirname(file), 'EACCES');
    const err = openError(() => connect(file));
    expect(err.message).toContain(`the folder ${path.dirname(file)} is not writable`);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  test('a lock directory not writable: READ_ONLY naming it', () => {
    const file = existing();
    // A clean close removes it; one left by a killed writer of another user stays.
    fs.mkdirSync(`${file}.lock`);
    refuseWrites(`${file}.lock`, 'EACCES');
    expect(openError(() => connect(file)).message).toContain(
      `its lock directory ${file}.lock is not writable`,
    );
  });
});
