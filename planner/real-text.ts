/**
 * SQLite 3.53's REAL → TEXT rendering (`%!.17g` in vdbeMemRenderNum): 17 significant digits
 * from SQLite's own binary-to-decimal conversion (a 64-bit mantissa times a 64-bit power of
 * ten, so the 17th digit is not always the correctly rounded one), shortened when a run of
 * trailing 0s or 9s can be dropped and the shorter form still reads back as the same double
 * (0.1 → '0.1', but 0.1 + 0.2 → '0.30000000000000004'). Always a decimal point; exponent
 * form below 1e-4 and from 1e17 (`1.0e+20`, `1.0e-05`). The powers of ten are computed
 * here with BigInt the way SQLite's tool/mkfptab.c tabulates them (top 64 bits, and the next
 * 32 rounded, of 10^p for p < 27 and of 10^(27g)).
 */

const MASK64 = (1n << 64n) - 1n;
const MASK32 = (1n << 32n) - 1n;

/** Top `bits` bits of num/den (normalized so the highest is set), rounded to nearest. */
function topBits(num: bigint, den: bigint, bits: bigint): bigint {
  const lenNum = BigInt(num.toString(2).length);
  const lenDen = BigInt(den.toString(2).length);
  let k = bits - (lenNum - lenDen) - 1n;
  const at = (s: bigint): [bigint, bigint, bigint] => {
    const n = s >= 0n ? num << s : num;
    const d = s >= 0n ? den : den << -s;
    return [n / d, n % d, d];
  };
  let [q, r, d] = at(k);
  if (q < 1n << (bits - 1n)) [q, r, d] = at(++k);
  if (q >= 1n << bits) [q, r, d] = at(--k);
  return 2n * r >= d ? q + 1n : q;
}

/** 10^p for 0 <= p < 27, top 64 bits (exact: the low bits of these are zero or dropped). */
const BASE: readonly bigint[] = Array.from({ length: 27 }, (_, p) => {
  const v = 10n ** BigInt(p);
  const len = BigInt(v.toString(2).length);
  return len <= 64n ? v << (64n - len) : v >> (len - 64n);
});

/** 10^(27g) for g = -13..12 as 96 bits (slot g = 0 holds 10^-1, as SQLite's table does). */
const SCALE: readonly bigint[] = Array.from({ length: 26 }, (_, i) => {
  const g = i - 13;
  if (g === 0) return topBits(1n, 10n, 96n);
  return g > 0 ? topBits(10n ** BigInt(27 * g), 1n, 96n) : topBits(1n, 10n ** BigInt(-27 * g), 96n);
});

/** Top 64 bits of 10^p (p from -348 to 347), the way SQLite's powerOfTen derives it. */
function powerOfTen(p: number): bigint {
  if (p >= 0 && p < 27) return BASE[p];
  if (p === -1) return SCALE[13] >> 32n;
  let g = Math.trunc(p / 27);
  let n = p % 27;
  if (p < 0 && n !== 0) {
    g--;
    n += 27;
  }
  const s = SCALE[g + 13];
  if (n === 0) return s >> 32n;
  // The 96-bit scale times the 64-bit base, keeping the top 96 bits of the product.
  const hi = s >> 32n;
  const lo = s & MASK32;
  const prod = hi * BASE[n] + ((lo * BASE[n]) >> 32n);
  let x = prod >> 64n;
  if (x >> 63n === 0n) x = ((x << 1n) | ((prod >> 63n) & 1n)) & MASK64;
  return x;
}

const pwr10to2 = (p: number): number => Math.floor((p * 108853) / 32768);
const pwr2to10 = (p: number): number => Math.floor((p * 78913) / 262144);

/** d and p with r = m·2^e ≈ d·10^p and d having 18 digits (SQLite's sqlite3Fp2Convert10, n = 18). */
function toDecimal18(m: bigint, e: number): [bigint, number] {
  const p = 17 - pwr2to10(e + 63);
  const h = ((m * powerOfTen(p)) >> 64n) >> BigInt(-(e + pwr10to2(p) + 2));
  return [(h + ((h << 1n) & 2n)) >> 1n, -p];
}

const view = new DataView(new ArrayBuffer(8));

/** Significant digits (no trailing zeros) and the decimal point position of |r| > 0, finite. */
function decode(r: number): { digits: string; dp: number } {
  view.setFloat64(0, r);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let frac = bits & ((1n << 52n) - 1n);
  let e: number;
  if (biased === 0) {
    const nn = 64 - frac.toString(2).length;
    frac <<= BigInt(nn);
    e = -1074 - nn;
  } else {
    frac = (frac << 11n) | (1n << 63n);
    e = biased - 1086;
  }
  const [d, exp] = toDecimal18(frac, e);
  const z = d.toString().split('');
  let n = z.length;
  let dp = n + exp;
  let round = 17;
  if (round < n) {
    if (z[15] === '9' && z[14] === '9') {
      let jj = 14;
      while (jj > 0 && z[jj - 1] === '9') jj--;
      const v2 = jj === 0 ? 1n : BigInt(z.slice(0, jj).join('')) + 1n;
      if (readsBack(r, v2, exp + n - jj)) round = jj + 1;
    } else if (dp >= n || (z[15] === '0' && z[14] === '0' && z[13] === '0')) {
      let jj = 13;
      while (z[jj - 1] === '0') jj--;
      if (readsBack(r, BigInt(z.slice(0, jj).join('')), exp + n - jj)) round = jj + 1;
    }
    n = round;
    if (z[round] >= '5') {
      let j = round - 1;
      for (;;) {
        if (z[j] !== '9') {
          z[j] = String(Number(z[j]) + 1);
          break;
        }
        z[j] = '0';
        if (j === 0) {
          z.unshift('1');
          n++;
          dp++;
          break;
        }
        j--;
      }
    }
  }
  while (n > 1 && z[n - 1] === '0') n--;
  return { digits: z.slice(0, n).join(''), dp };
}

/** Whether v·10^p reads back as exactly r (SQLite checks its shortened forms this way). */
function readsBack(r: number, v: bigint, p: number): boolean {
  return Number(`${v}e${p}`) === r;
}

export function sqliteRealText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (v === 0) return '0.0';
  const { digits, dp } = decode(Math.abs(v));
  const e = dp - 1;
  let out: string;
  if (e < -4 || e > 16) {
    out = `${digits[0]}.${digits.slice(1) || '0'}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (e >= 0) {
    out = `${digits.slice(0, e + 1).padEnd(e + 1, '0')}.${digits.slice(e + 1) || '0'}`;
  } else {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  }
  return v < 0 ? `-${out}` : out;
}
