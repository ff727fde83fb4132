/**
 * The one msgpackr configuration used for every payload, so encoder and decoder can never drift:
 * no record extension (payloads must be readable from docs/format.md alone), 64-bit integers
 * decoded as numbers when safe and as bigint otherwise, binary copied out of the read buffer
 * (rows outlive the scratch buffer they were decoded from).
 */
import { Packr } from 'msgpackr';
import { FormatError } from '../src/errors';

const packr = new Packr({
  useRecords: false,
  // 'auto' (number when safe, bigint otherwise) exists at runtime but is missing from msgpackr's typings.
  int64AsType: 'auto' as 'number',
  mapsAsObjects: true,
  copyBuffers: true,
  moreTypes: false,
  bundleStrings: false,
});

export function encodePayload(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * decodePayload of `buf[start, end)` without a subarray: msgpackr keeps a DataView on each buffer
 * it reads, so a view made per record costs two objects a row; a slab or window read in place
 * reuses its own.
 */
export function decodePayloadAt(buf: Uint8Array, start: number, end: number, offset?: number): unknown {
  try {
    return packr.unpack(buf, { start, end });
  } catch (err) {
    throw new FormatError(`corrupt payload: ${err instanceof Error ? err.message : String(err)}`, 'CORRUPT', {
      offset,
      cause: err,
    });
  }
}

/** Decode a payload; any malformed input becomes a FormatError (never a crash). */
export function decodePayload(buf: Uint8Array, offset?: number): unknown {
  return decodePayloadAt(buf, 0, buf.length, offset);
}
