/** The worked example of docs/format.md §7, byte for byte. */
import { Database } from '../../src/index';
import { listFrames } from '../helpers/engine-util';
import { FrameKind } from '../../storage/format';
import { encodePage } from '../../storage/index-pages';
import { encodeColumnPage } from '../../storage/column-pages';
import { GrowableBuffer } from '../../storage/growable-buffer';

test('docs/format.md worked example matches the bytes the engine writes', () => {
  const db = Database.openInMemory();
  db.transaction(() => {
    db.registerCollection('t', [{ path: 'k', type: 'string' }], 'k');
    db.insert('t', { k: 'a' });
  });
  const bytes = db.storage.bytes();
  db.close();
  // magic, major 1, minor 6, flags 0, superblock size 64, log start 192
  expect(bytes.subarray(0, 24).toString('hex')).toBe(
    '4d5641554c540d0a' + '0100' + '0600' + '00000000' + '40000000' + 'c0000000',
  );
  expect(bytes.subarray(128, 192).every((b) => b === 0)).toBe(true);
  const frames = listFrames(bytes);
  expect(frames.map((f) => f.kind)).toEqual([
    FrameKind.TXN_BEGIN,
    FrameKind.CATALOG,
    FrameKind.RECORD_PUT,
    FrameKind.TXN_COMMIT,
  ]);
  const [begin, catalog, record, commit] = frames;
  expect(begin.offset).toBe(192);
  expect(bytes.subarray(192, 208).toString('hex')).toBe('01000000' + '01000000' + '0100000000000000');
  expect(bytes[192 + 20]).toBe(0xc0);
  expect(catalog.offset).toBe(213);
  expect(record.length).toBe(6);
  expect(bytes.subarray(record.offset + 20, record.offset + 26).toString('hex')).toBe('930101' + '91a161');
  expect(commit.length).toBe(1);
  expect(bytes[commit.offset + 20]).toBe(0x02);
  expect(commit.offset + 21).toBe(bytes.length);
});

test('docs/format.md §4.2 page example matches the page encoder', () => {
  expect(encodePage([1, 2], [300, 340]).toString('hex')).toBe('02040102020201' + '02d80450');
});

test('docs/format.md §4.3 column page example matches the column page encoder', () => {
  const out = new GrowableBuffer(64);
  encodeColumnPage(out, 2, [
    { field: 1, values: Float64Array.of(3, 4) },
    { field: 2, values: Float64Array.of(9.5, NaN) },
  ]);
  expect(out.view().toString('hex')).toBe(
    '0202' + '01020206' + '02' + '020110' + '0000000000002340' + '000000000000f87f',
  );
  // Prices with cents are DECIMAL: 9.5 and 12.25 at scale 2 are 950 and 1225 (zigzag 1900, 550).
  const prices = new GrowableBuffer(64);
  encodeColumnPage(prices, 2, [{ field: 2, values: Float64Array.of(9.5, 12.25) }]);
  expect(prices.view().toString('hex')).toBe('0201' + '02' + '03' + '02' + '04' + 'ec0e' + 'a604');
});
