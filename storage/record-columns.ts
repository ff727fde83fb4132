/**
 * Read some columns of many record frames, given their locations in ascending order: what an
 * open's replay uses to learn the index keys of the rows it replayed without decoding them
 * (storage/replay-indexes.ts). The frames lie in the log the replay has just read, usually one
 * after another, so they are read in large chunks rather than one `pread` each; each frame's
 * checksum is verified again (the read may come long after the replay, when an index is first
 * used) and the columns it hands out must have their stored form, as a whole-row read checks.
 */
import type { ByteStore } from './byte-store';
import { FRAME_HEADER_SIZE, FrameKind } from './format';
import { frameChecksumOkAt, parseFrameHeader } from './frame';
import type { StoredCheck } from './schema/stored-check';
import { corruptAt, recordColumns } from './row-reader';

/** Bytes read at once: a chunk holds a few thousand of the bench's ~220-byte rows. */
const CHUNK = 1 << 20;

/** Passes over held-back rows and the frames they read (tests count the work with these). */
export const recordColumnStats = { passes: 0, frames: 0 };

/**
 * Call `visit(i, row)` for each location: `row` is one reused array of `width` slots whose
 * `columns` (ascending) hold the record's values, `undefined` for a column the stored row is too
 * short to have (written before an ADD COLUMN), as in the stored row itself.
 */
export function forEachRecordColumns(
  store: ByteStore,
  locations: readonly number[],
  columns: readonly number[],
  width: number,
  checks: readonly StoredCheck[],
  visit: (i: number, row: unknown[]) => void,
): void {
  recordColumnStats.passes++;
  recordColumnStats.frames += locations.length;
  let buf = Buffer.alloc(0);
  /** buf[0, valid) holds the file's bytes from bufStart. */
  let bufStart = 0;
  let valid = 0;
  const row = new Array<unknown>(width).fill(undefined);
  /** Whether [at, at + len) is in `buf`, after reading a chunk from `at` when it was not. */
  const bytes = (at: number, len: number): boolean => {
    if (at >= bufStart && at + len <= bufStart + valid) return true;
    const size = Math.min(Math.max(CHUNK, len), store.size - at);
    if (size < len) return false;
    if (buf.length < size) buf = Buffer.allocUnsafe(Math.max(size, CHUNK));
    bufStart = at;
    valid = store.readInto(buf, 0, size, at);
    return valid >= len;
  };
  for (let i = 0; i < locations.length; i++) {
    const at = locations[i];
    if (!bytes(at, FRAME_HEADER_SIZE)) throw corruptAt(at, 'record frame is cut off');
    const header = parseFrameHeader(buf, at - bufStart, store.size - at);
    if (!header || header.kind !== FrameKind.RECORD_PUT) throw corruptAt(at, 'expected a record frame');
    if (!bytes(at, FRAME_HEADER_SIZE + header.length)) throw corruptAt(at, 'record frame is cut off');
    const off = at - bufStart;
    if (!frameChecksumOkAt(buf, off, header.length, header.crc))
      throw corruptAt(at, 'record checksum mismatch');
    for (const c of columns) row[c] = undefined;
    const start = off + FRAME_HEADER_SIZE;
    recordColumns(buf, start, start + header.length, columns, row, at);
    for (const c of columns) {
      const v = row[c];
      if (v !== undefined && !checks[c](v))
        throw corruptAt(at, 'record that does not match its collection schema');
    }
    visit(i, row);
  }
}
