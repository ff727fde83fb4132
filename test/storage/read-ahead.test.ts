/**
 * The read-ahead window of scans in primary-key order (storage/row-reader.ts readWindow): its size
 * follows how densely the previous window's bytes were used. A selective filter tested on column
 * vectors reads only the rows it accepts; when they lie a dozen kilobytes apart, the windows shrink
 * to a frame or two instead of growing to a megabyte that copies every byte between them. A scan
 * reading most rows still reads the file in large windows. Work is counted (bytes and reads asked
 * of the file), not timed.
 */
import * as fs from 'node:fs';
import { connect } from '../../src/index';
import { FileStore } from '../../storage/file-store';
import { tmpDir } from '../helpers/tmp';

const ROWS = 20_000;
/** ~250 bytes a row: rows whose x matches one value of 90 lie ~22 KB apart in the log. */
const PAD = 'p'.repeat(220);

describe('read-ahead windows sized by use', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());
  let file = '';
  let logBytes = 0;

  beforeAll(() => {
    file = tmp.file();
    const conn = connect(file);
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, pad TEXT)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?, ?)',
      Array.from({ length: ROWS }, (_, i) => [i + 1, i % 90, PAD]),
    );
    conn.commit();
    conn.database.checkpoint();
    conn.close();
    logBytes = fs.statSync(file).size;
  });

  /** Rows of `sql` from a cold read-only open, with the bytes and reads it asked of the file. */
  function coldScan(sql: string): { rows: unknown[][]; bytes: number; reads: number } {
    const conn = connect(file, { readOnly: true });
    const spy = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      const rows = conn.cursor().execute(sql).fetchAll() as unknown[][];
      const bytes = spy.mock.calls.reduce((sum, call) => sum + call[2], 0);
      return { rows, bytes, reads: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
      conn.close();
    }
  }

  test('a selective cold scan reads a small part of the file', () => {
    const { rows, bytes } = coldScan('SELECT id, x FROM t WHERE x = 7');
    expect(rows).toHaveLength(223);
    expect(rows.every((r) => r[1] === 7)).toBe(true);
    // 223 rows ~22 KB apart: windows of 4 KiB once sparse (windows growing while reads moved
    // onward read every byte), and the primary-key and column pages.
    expect(bytes).toBeLessThan(logBytes * 0.3);
  });

  test('a cold scan reading most rows reads the file in large windows', () => {
    const { rows, bytes, reads } = coldScan('SELECT id FROM t WHERE x < 60');
    expect(rows).toHaveLength(13_340);
    expect(bytes).toBeGreaterThan(logBytes * 0.8);
    // ~5 MB of rows: windows growing to 1 MiB, besides one read per page (a few dozen).
    expect(reads).toBeLessThan(150);
  });
});
