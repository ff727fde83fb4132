/** An append-only byte buffer that doubles its capacity; a transaction stages its frames in one. */

const QUADRUPLE_FROM = 4 * 1024 * 1024;

export class GrowableBuffer {
  buf: Buffer;
  length = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for `n` more bytes and return the offset they start at. */
  reserve(n: number): number {
    const need = this.length + n;
    if (need > this.buf.length) {
      // Past a few MiB, quadrupling: a bulk transaction then copies about a third of its bytes
      // over all its growth steps instead of all of them (untouched capacity costs no memory).
      let cap = this.buf.length * (this.buf.length >= QUADRUPLE_FROM ? 4 : 2);
      while (cap < need) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length = need;
    return at;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    // Don't pin a huge buffer after one bulk transaction.
    if (this.buf.length > 16 * 1024 * 1024) this.buf = Buffer.allocUnsafe(64 * 1024);
  }
}
