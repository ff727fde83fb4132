/**
 * A compact binary encoding of the values a small request or reply carries, written straight
 * into shared memory (src/async/channel.ts). It covers exactly what results and parameters are
 * made of — null, undefined, booleans, numbers (-0 and NaN kept), strings (UTF-16 code units
 * kept, lone surrogates included), bigint, Date, Uint8Array/Buffer (decoded as a Buffer, as the
 * async API hands them out), dense arrays and plain objects — and refuses everything else
 * (a Map, a class instance, a typed array of another kind, a cycle, a key named `__proto__`,
 * a value that does not fit): the caller then sends the value by structured cloning, whose
 * result this one matches. What it does not keep: two references to one object arrive as two
 * copies (results and parameters never rely on identity). Values are decoded in the realm of
 * this module, so `instanceof Date` and `Array.isArray` hold for the caller under jest too.
 */

const T_NULL = 0;
const T_UNDEFINED = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_ASCII = 6;
const T_UTF16 = 7;
const T_BIGINT = 8;
const T_BIGINT_TEXT = 9;
const T_DATE = 10;
const T_BYTES = 11;
const T_ARRAY = 12;
const T_OBJECT = 13;

/** Deeper than this is taken for a cycle: structured cloning handles it. */
const MAX_DEPTH = 64;
/** Strings up to this length are written by a loop; longer ones by one Buffer.write. */
const SHORT_STRING = 32;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const TAG = Object.prototype.toString;
/** Arrays up to this length are allocated at their size (Decoder.array). */
const MAX_PRESIZED = 4096;

/** A byte region of shared memory being written from `pos`. */
export class Encoder {
  pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Buffer,
    /** Where the region ends (exclusive). */
    private readonly end: number = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Encode `v` at `pos`; false (pos then meaningless) when it is not encodable or does not fit. */
  value(v: unknown, depth = 0): boolean {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'boolean':
        return this.tag(v ? T_TRUE : T_FALSE);
      case 'undefined':
        return this.tag(T_UNDEFINED);
      case 'bigint':
        return this.bigint(v);
      case 'object':
        if (v === null) return this.tag(T_NULL);
        if (depth >= MAX_DEPTH) return false;
        if (Array.isArray(v)) return this.array(v, depth + 1);
        return this.object(v, depth + 1);
      default:
        // function, symbol
        return false;
    }
  }

  /** A float64 at `pos`, outside the tagged stream (request headers). */
  float(v: number): boolean {
    if (this.pos + 8 > this.end) return false;
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return true;
  }

  private tag(t: number): boolean {
    if (this.pos >= this.end) return false;
    this.bytes[this.pos++] = t;
    return true;
  }

  private number(v: number): boolean {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (this.pos + 5 > this.end) return false;
      this.bytes[this.pos] = T_INT;
      this.view.setInt32(this.pos + 1, v, true);
      this.pos += 5;
      return true;
    }
    if (this.pos + 9 > this.end) return false;
    this.bytes[this.pos] = T_FLOAT;
    this.view.setFloat64(this.pos + 1, v, true);
    this.pos += 9;
    return true;
  }

  private string(s: string): boolean {
    const n = s.length;
    const at = this.pos + 5;
    if (n <= SHORT_STRING) {
      if (at + n > this.end) return false;
      const b = this.bytes;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[at + i] = c;
      }
      if (i === n) {
        b[this.pos] = T_ASCII;
        this.view.setUint32(this.pos + 1, n, true);
        this.pos = at + n;
        return true;
      }
    }
    // Latin-1 only when every code unit is ASCII (checked by the loop above or by a scan here).
    if (n > SHORT_STRING && isAscii(s)) {
      if (at + n > this.end) return false;
      this.bytes.write(s, at, n, 'latin1');
      this.bytes[this.pos] = T_ASCII;
      this.view.setUint32(this.pos + 1, n, true);
      this.pos = at + n;
      return true;
    }
    // UTF-16 code units as they are: lone surrogates survive, as with structured cloning.
    if (at + 2 * n > this.end) return false;
    this.bytes.write(s, at, 2 * n, 'utf16le');
    this.bytes[this.pos] = T_UTF16;
    this.view.setUint32(this.pos + 1, n, true);
    this.pos = at + 2 * n;
    return true;
  }

  private bigint(v: bigint): boolean {
    if (v >= MIN_INT64 && v <= MAX_INT64) {
      if (this.pos + 9 > this.end) return false;
      this.bytes[this.pos] = T_BIGINT;
      this.view.setBigInt64(this.pos + 1, v, true);
      this.pos += 9;
      return true;
    }
    if (!this.tag(T_BIGINT_TEXT)) return false;
    return this.string(v.toString());
  }

  private array(a: unknown[], depth: number): boolean {
    if (this.pos + 5 > this.end) return false;
    const n = a.length;
    this.bytes[this.pos] = T_ARRAY;
    this.view.setUint32(this.pos + 1, n, true);
    this.pos += 5;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      // A hole is not an undefined element: leave sparse arrays to structured cloning.
      if (x === undefined && !(i in a)) return false;
      if (!this.value(x, depth)) return false;
    }
    return true;
  }

  private object(o: object, depth: number): boolean {
    if (ArrayBuffer.isView(o)) return TAG.call(o) === '[object Uint8Array]' && this.bytesOf(o as Uint8Array);
    const tag = TAG.call(o);
    if (tag === '[object Date]') {
      if (this.pos + 9 > this.end) return false;
      this.bytes[this.pos] = T_DATE;
      this.view.setFloat64(this.pos + 1, (o as Date).getTime(), true);
      this.pos += 9;
      return true;
    }
    // Plain objects only (of any realm): an own prototype chain of Object.prototype or nothing.
    if (tag !== '[object Object]') return false;
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) return false;
    const keys = Object.keys(o);
    if (this.pos + 5 > this.end) return false;
    this.bytes[this.pos] = T_OBJECT;
    this.view.setUint32(this.pos + 1, keys.length, true);
    this.pos += 5;
    const rec = o as Record<string, unknown>;
    for (const k of keys) {
      if (k === '__proto__') return false;
      if (!this.string(k) || !this.value(rec[k], depth)) return false;
    }
    return true;
  }

  private bytesOf(u: Uint8Array): boolean {
    const n = u.byteLength;
    if (this.pos + 5 + n > this.end) return false;
    this.bytes[this.pos] = T_BYTES;
    this.view.setUint32(this.pos + 1, n, true);
    this.bytes.set(u, this.pos + 5);
    this.pos += 5 + n;
    return true;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Reads what an Encoder wrote over the same memory, from `pos`. Everything decoded is a copy. */
export class Decoder {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  float(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  value(): unknown {
    const b = this.bytes;
    const t = b[this.pos++];
    switch (t) {
      case T_NULL:
        return null;
      case T_UNDEFINED:
        return undefined;
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_INT: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case T_FLOAT:
        return this.float();
      case T_ASCII:
      case T_UTF16:
        return this.stringBody(t);
      case T_BIGINT: {
        const v = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_BIGINT_TEXT:
        return BigInt(this.value() as string);
      case T_DATE:
        return new Date(this.float());
      case T_BYTES: {
        const n = this.view.getUint32(this.pos, true);
        this.pos += 4;
        // A Buffer over memory of its own (not Node's pool), as structured cloning gives.
        const out = Buffer.from(new ArrayBuffer(n));
        b.copy(out, 0, this.pos, this.pos + n);
        this.pos += n;
        return out;
      }
      case T_ARRAY: {
        const n = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return this.array(n);
      }
      case T_OBJECT: {
        const n = this.view.getUint32(this.pos, true);
        this.pos += 4;
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.value() as string;
          out[k] = this.value();
        }
        return out;
      }
      default:
        throw new Error(`corrupt shared-memory message (tag ${t} at ${this.pos - 1})`);
    }
  }

  /**
   * An array of exactly `n` slots, as structured cloning (the message path) makes it. One grown
   * by push from `[]` reserves 17 slots at its first push and keeps them: a two-column row then
   * weighs more than twice what it needs (a million of them: ~250 MB of heap instead of ~115).
   */
  private array(n: number): unknown[] {
    switch (n) {
      case 0:
        return [];
      case 1:
        return [this.value()];
      case 2:
        return [this.value(), this.value()];
      case 3:
        return [this.value(), this.value(), this.value()];
      case 4:
        return [this.value(), this.value(), this.value(), this.value()];
    }
    // Past a few thousand slots `new Array(n)` may start as a dictionary: grow those instead.
    const out: unknown[] = n <= MAX_PRESIZED ? new Array<unknown>(n) : [];
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  private stringBody(t: number): string {
    const n = this.view.getUint32(this.pos, true);
    const at = this.pos + 4;
    if (t === T_UTF16) {
      this.pos = at + 2 * n;
      return this.bytes.toString('utf16le', at, at + 2 * n);
    }
    this.pos = at + n;
    if (n <= 8) {
      const b = this.bytes;
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i]);
      return s;
    }
    return this.bytes.toString('latin1', at, at + n);
  }
}
