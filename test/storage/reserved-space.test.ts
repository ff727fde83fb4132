/**
 * Reserved space past the log (docs/format.md §5, format 1.1): a writer keeps zeros after the
 * log so commits overwrite blocks instead of growing the file. A file copied while a writer has
 * it open is what a crash leaves: readers must see a clean end there, a partial append in the
 * zeros is a torn tail, and the next writer and every clean close leave the file ending where the
 * log ends.
 */
import * as fs from 'node:fs';
import { Database, FormatError, connect } from '../../src/index';
import { frameBytes } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'note', type: 'string' as const },
];

describe('reserved space past the log', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function openWriter(rows: number): { db: Database; file: string } {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection('items', FIELDS, 'id');
    for (let id = 0; id < rows; id++) db.insert('items', { id, note: `n${id}` });
    return { db, file };
  }

  test('commits overwrite reserved zeros: the file grows about once per MiB, not per commit', () => {
    const { db, file } = openWriter(1);
    const sizes = new Set<number>();
    for (let id = 1; id <= 300; id++) {
      db.insert('items', { id, note: 'x'.repeat(100) });
      sizes.add(fs.statSync(file).size);
    }
    expect(sizes.size).toBe(1);
    expect(fs.statSync(file).size).toBeGreaterThan(db.storage.fileSize);
    db.close();
    const reader = Database.open(file, { readOnly: true });
    try {
      expect(fs.statSync(file).size).toBe(reader.storage.fileSize);
    } finally {
      reader.close();
    }
  });

  test('after compact() the writer reserves space in the new file too', () => {
    const { db, file } = openWriter(50);
    for (let id = 0; id < 40; id++) db.delete('items', id);
    db.compact();
    db.insert('items', { id: 1000, note: 'first after compaction' });
    const reserved = fs.statSync(file).size;
    expect(reserved).toBeGreaterThan(db.storage.fileSize);
    for (let id = 1001; id < 1100; id++) db.insert('items', { id, note: 'x' });
    expect(fs.statSync(file).size).toBe(reserved);
    db.close();
    expect(fs.statSync(file).size).toBeLessThan(reserved);
  });

  test('a file with reserved zeros (a crashed writer) opens strictly and cleanly; the next writer trims it', () => {
    const { db, file } = openWriter(20);
    const crashed = tmp.file();
    fs.copyFileSync(file, crashed);
    const logEnd = db.storage.fileSize;
    db.close();
    expect(fs.statSync(crashed).size).toBeGreaterThan(logEnd);

    const reader = Database.open(crashed, { readOnly: true, recovery: 'strict' });
    expect(reader.collection('items').count()).toBe(20);
    expect(reader.storage.recoveryReport.truncatedFrom).toBeNull();
    reader.close();

    const writer = Database.open(crashed);
    expect(writer.storage.recoveryReport.truncatedFrom).toBeNull();
    expect(fs.statSync(crashed).size).toBe(logEnd);
    writer.insert('items', { id: 99, note: 'after' });
    writer.close();
    const again = Database.open(crashed, { readOnly: true, recovery: 'strict' });
    expect(again.collection('items').count()).toBe(21);
    again.close();
  });

  test('a partial append inside the reserved zeros is a torn tail', () => {
    const { db, file } = openWriter(5);
    const logEnd = db.storage.fileSize;
    const nextTxn = db.storage.lastCommittedTxnId + 1;
    const crashed = tmp.file();
    fs.copyFileSync(file, crashed);
    db.close();
    // The next transaction's TXN_BEGIN reached the disk, the rest of it did not.
    const bytes = fs.readFileSync(crashed);
    frameBytes(1, nextTxn, null).copy(bytes, logEnd);
    fs.writeFileSync(crashed, bytes);
    expect(() => Database.open(crashed, { readOnly: true, recovery: 'strict' })).toThrow(FormatError);
    const loose = Database.open(crashed, { readOnly: true, recovery: 'autoTruncate' });
    expect(loose.collection('items').count()).toBe(5);
    expect(loose.storage.recoveryReport.truncatedFrom).toBe(logEnd);
    loose.close();
    const writer = Database.open(crashed);
    expect(fs.statSync(crashed).size).toBe(logEnd);
    writer.close();
  });

  test('a live reader sees nothing new in reserved zeros, then each new commit', () => {
    const { db, file } = openWriter(3);
    // A reader in this process would share the writer's engine: read a copy that a second copy
    // replaces, as another process appending would change the file under the reader.
    const readerFile = tmp.file();
    fs.copyFileSync(file, readerFile);
    const conn = connect(readerFile, { readOnly: true });
    const cur = conn.cursor();
    cur.execute('SELECT COUNT(*) FROM items');
    expect(cur.fetchOne()).toEqual([3]);
    db.insert('items', { id: 3, note: 'new' });
    // Copy only the bytes that changed, in place, so the reader's descriptor sees them.
    const fresh = fs.readFileSync(file);
    const fd = fs.openSync(readerFile, 'r+');
    fs.writeSync(fd, fresh, 0, fresh.length, 0);
    fs.closeSync(fd);
    cur.execute('SELECT COUNT(*) FROM items');
    expect(cur.fetchOne()).toEqual([4]);
    cur.execute('SELECT COUNT(*) FROM items');
    expect(cur.fetchOne()).toEqual([4]);
    conn.close();
    db.close();
  });
});
