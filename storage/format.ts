/**
 * On-disk constants of the ModelVault file format, version 1.0. Every number here is specified
 * in docs/format.md; change both together. Values written to disk are FROZEN: never renumber a
 * frame kind, never reuse a retired one (leave it here as a comment).
 */

/** "MVAULT" + CR LF: the line-ending bytes catch files mangled by text-mode transfers. */
export const FILE_MAGIC = Buffer.from([0x4d, 0x56, 0x41, 0x55, 0x4c, 0x54, 0x0d, 0x0a]);
export const FORMAT_MAJOR = 1;
/**
 * 1.1: packed checkpoint columns, reserved zeros; 1.2: paged checkpoints (PAGES frames); 1.3:
 * column pages beside the primary-key pages (checkpoint layout 4); 1.4: directory pages, the
 * checkpoint holding only root directories (layout 5); 1.5: TEXT columns in column pages (DICT);
 * 1.6: light checkpoints (layout 6: primary-key trees only, the secondary indexes lagging).
 */
export const FORMAT_MINOR = 6;

export const HEADER_SIZE = 64;
export const SUPERBLOCK_SIZE = 64;
/** Superblock slots A and B alternate so a torn superblock write always leaves the other intact. */
export const SUPERBLOCK_OFFSETS = [64, 128] as const;
/** "MVSB" */
export const SUPERBLOCK_MAGIC = 0x4253564d;
export const LOG_START = 192;

/** Frame header: u32 payload length, u8 kind, u8 flags, u16 reserved, u64 txn id, u32 crc32c. */
export const FRAME_HEADER_SIZE = 20;
/** A frame payload larger than this is treated as corruption before anything is allocated. */
export const MAX_FRAME_PAYLOAD = 1 << 30;

/** Frame kinds. Never renumber; retired kinds stay listed as comments. */
export const FrameKind = {
  TXN_BEGIN: 1,
  TXN_COMMIT: 2,
  TXN_ABORT: 3,
  CATALOG: 4,
  RECORD_PUT: 5,
  RECORD_DELETE: 6,
  /** Reserved for index build markers; not written by format 1.0. */
  INDEX: 7,
  CHECKPOINT: 8,
  /** Reserved for compaction manifests; not written by format 1.0. */
  MANIFEST: 9,
  /** Spill space for sorts; ignored by replay wherever it appears outside a transaction. */
  SCRATCH: 10,
  /**
   * Database settings (SQLite's user_version), inside a transaction, always written IGNORABLE and
   * not counted by TXN_COMMIT: readers that predate it skip it and still see a consistent count.
   */
  META: 11,
  /**
   * Checkpoint pages (format 1.2): the index pages of the CHECKPOINT frame that follows, always
   * written IGNORABLE outside a transaction; replay skips it like SCRATCH.
   */
  PAGES: 12,
  /**
   * Written by a writer (IGNORABLE, outside a transaction, empty payload) at the end of the log of
   * a file it is about to replace by a rename (compaction, restore): live readers, which look only
   * past the end of the log between statements, learn that they must check which file is at the
   * path now. Replay skips it.
   */
  MOVED: 13,
} as const;
export type FrameKindValue = (typeof FrameKind)[keyof typeof FrameKind];

/** SQLite's user_version is a 32-bit signed integer (META frames and checkpoints hold one). */
export function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
}

/** Frame flag bits. Bit 0: the frame may be skipped by readers that do not know its kind. */
export const FRAME_FLAG_IGNORABLE = 0x01;

/** Catalog frame operations (first element of a CATALOG payload). Never renumber. */
export const CatalogOp = {
  PUT_COLLECTION: 1,
  DROP_COLLECTION: 2,
} as const;
