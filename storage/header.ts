/**
 * File header and superblocks (docs/format.md §2).
 *
 *   header     := magic[8] major:u16 minor:u16 flags:u32 superblockSize:u32 logStart:u32 reserved[36] crc:u32
 *   superblock := magic:u32 reserved:u32 generation:u64 checkpointOffset:u64 checkpointLength:u64
 *                 checkpointTxnId:u64 replayFrom:u64 reserved[12] crc:u32
 *
 * Each crc is crc32c over the 60 bytes before it. The header is written once at creation; the
 * superblocks only when a checkpoint is published, alternating slots by generation parity.
 */
import { crc32c } from './crc32c';
import {
  FILE_MAGIC,
  FORMAT_MAJOR,
  FORMAT_MINOR,
  FRAME_HEADER_SIZE,
  HEADER_SIZE,
  LOG_START,
  SUPERBLOCK_MAGIC,
  SUPERBLOCK_SIZE,
} from './format';
import { FormatError } from '../src/errors';

export interface FileHeader {
  major: number;
  minor: number;
  flags: number;
  logStart: number;
}

export interface Superblock {
  generation: number;
  /** Offset of the CHECKPOINT frame this superblock publishes; 0 when there is none. */
  checkpointOffset: number;
  checkpointLength: number;
  /** Id of the last transaction the checkpoint includes. */
  checkpointTxnId: number;
  /** Log offset where replay resumes after loading the checkpoint. */
  replayFrom: number;
}

function writeU64(b: Buffer, value: number, at: number): void {
  b.writeUInt32LE(value % 0x100000000, at);
  b.writeUInt32LE(Math.floor(value / 0x100000000), at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x100000000;
}

export function encodeHeader(): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  FILE_MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_MAJOR, 8);
  b.writeUInt16LE(FORMAT_MINOR, 10);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(SUPERBLOCK_SIZE, 16);
  b.writeUInt32LE(LOG_START, 20);
  b.writeUInt32LE(crc32c(b, 0, 60), 60);
  return b;
}

/** Validate and decode the header; any defect is a FormatError with a specific code. */
export function decodeHeader(b: Buffer): FileHeader {
  if (b.length < HEADER_SIZE || !b.subarray(0, 8).equals(FILE_MAGIC)) {
    throw new FormatError('not a ModelVault file (bad magic)', 'BAD_MAGIC', { offset: 0 });
  }
  if (crc32c(b, 0, 60) !== b.readUInt32LE(60)) {
    throw new FormatError('file header checksum mismatch', 'CORRUPT', { offset: 0 });
  }
  const major = b.readUInt16LE(8);
  const minor = b.readUInt16LE(10);
  if (major !== FORMAT_MAJOR) {
    throw new FormatError(
      `unsupported format version ${major}.${minor} (this build reads major ${FORMAT_MAJOR})`,
      'UNSUPPORTED_VERSION',
    );
  }
  // A newer minor may store what this build cannot read (a 1.1 reader meets 1.2's paged
  // checkpoints): refused up front with the versions named, rather than misread later.
  if (minor > FORMAT_MINOR) {
    throw new FormatError(
      `file format ${major}.${minor} is newer than this build reads (up to ${FORMAT_MAJOR}.${FORMAT_MINOR}): upgrade ModelVault to open it`,
      'UNSUPPORTED_VERSION',
    );
  }
  const logStart = b.readUInt32LE(20);
  if (b.readUInt32LE(16) !== SUPERBLOCK_SIZE || logStart !== LOG_START) {
    throw new FormatError('file header has an unexpected layout', 'CORRUPT', { offset: 0 });
  }
  return { major, minor, flags: b.readUInt32LE(12), logStart };
}

export function encodeSuperblock(sb: Superblock): Buffer {
  const b = Buffer.alloc(SUPERBLOCK_SIZE);
  b.writeUInt32LE(SUPERBLOCK_MAGIC, 0);
  writeU64(b, sb.generation, 8);
  writeU64(b, sb.checkpointOffset, 16);
  writeU64(b, sb.checkpointLength, 24);
  writeU64(b, sb.checkpointTxnId, 32);
  writeU64(b, sb.replayFrom, 40);
  b.writeUInt32LE(crc32c(b, 0, 60), 60);
  return b;
}

/** Decode a superblock slot; null when it is torn or blank (the other slot is then authoritative). */
export function decodeSuperblock(b: Buffer | null): Superblock | null {
  if (!b || b.length < SUPERBLOCK_SIZE) return null;
  if (b.readUInt32LE(0) !== SUPERBLOCK_MAGIC || crc32c(b, 0, 60) !== b.readUInt32LE(60)) return null;
  return {
    generation: readU64(b, 8),
    checkpointOffset: readU64(b, 16),
    checkpointLength: readU64(b, 24),
    checkpointTxnId: readU64(b, 32),
    replayFrom: readU64(b, 40),
  };
}

/**
 * Why a superblock whose checksum holds still cannot be trusted, or null when its fields agree
 * with each other and with a file of `fileSize` bytes. A checksum only proves the 64 bytes are
 * the ones some writer wrote; a writer bug, a restored stale block or a forged one can carry a
 * valid checksum, and `replayFrom` decides where recovery believes the log ends — trusting a
 * wrong one lets `autoTruncate` cut committed transactions. A superblock that fails this check
 * is treated like a torn one (docs/format.md §2).
 */
export function superblockProblem(sb: Superblock, fileSize: number): string | null {
  const fields = [sb.generation, sb.checkpointOffset, sb.checkpointLength, sb.checkpointTxnId, sb.replayFrom];
  if (!fields.every((v) => Number.isSafeInteger(v))) return 'a field is 2^53 or larger';
  if (sb.checkpointOffset === 0) {
    if (sb.checkpointLength !== 0 || sb.checkpointTxnId !== 0)
      return 'it names no checkpoint but records a checkpoint length or transaction id';
    if (sb.replayFrom !== LOG_START)
      return `it names no checkpoint but replays from ${sb.replayFrom}, not ${LOG_START}`;
    return null;
  }
  if (sb.checkpointOffset < LOG_START)
    return `its checkpoint offset ${sb.checkpointOffset} lies before the log`;
  if (sb.checkpointLength <= FRAME_HEADER_SIZE)
    return `its checkpoint length ${sb.checkpointLength} cannot hold a frame`;
  const end = sb.checkpointOffset + sb.checkpointLength;
  if (end > fileSize) return `its checkpoint ends at ${end}, past the end of the file (${fileSize})`;
  if (sb.replayFrom !== end)
    return `it replays from ${sb.replayFrom}, not from the end of its checkpoint (${end})`;
  return null;
}
