/**
 * REAL → decimal text the way SQLite's printf engine produces it (src/printf.c, sqlite3FpDecode
 * in src/util.c), ground floor: no imports. SQLite renders a REAL as text with "%!.15g" or
 * "%!.17g" (sql-values.ts realToText), round() goes through "%!.*f", and printf's %f/%e/%g use
 * the same digits, so they all live here.
 */

export interface Decoded {
  readonly neg: boolean;
  /** Significant digits, no trailing zeros ('0' for zero). */
  readonly digits: string;
  /** Position of the decimal point relative to the first digit. */
  readonly iDP: number;
  readonly special: 'inf' | 'nan' | null;
}

/**
 * Decimal digits of `r`: iRound > 0 keeps that many significant digits, iRound <= 0 keeps -iRound
 * digits after the decimal point; never more than mxRound; the last kept digit rounds half up.
 */
export function fpDecode(r: number, iRound: number, mxRound: number): Decoded {
  if (Number.isNaN(r)) return { neg: false, digits: '', iDP: 0, special: 'nan' };
  const neg = r < 0 || Object.is(r, -0);
  const a = Math.abs(r);
  if (a === Infinity) return { neg, digits: '', iDP: 0, special: 'inf' };
  if (a === 0) return { neg: r < 0, digits: '0', iDP: 1, special: null };
  // Significant-digit requests up to 17 round the exact value once; fixed-point requests round
  // an 18-digit expansion, which is what SQLite's decoder matches (measured against 3.53).
  const sig = iRound > 0 && iRound <= 17 ? iRound : iRound > 17 ? 17 : 18;
  const parsed = splitDigits(a.toPrecision(sig));
  let all = parsed.digits;
  let iDP = parsed.iDP;
  if (iRound <= 0) {
    iRound = iDP - iRound;
    if (iRound === 0 && all.charCodeAt(0) >= 53) {
      iRound = 1;
      all = `0${all}`;
      iDP++;
    }
  }
  if (iRound > 0 && (iRound < all.length || all.length > mxRound)) {
    if (iRound > mxRound) iRound = mxRound;
    const up = iRound < all.length && all.charCodeAt(iRound) >= 53;
    all = all.slice(0, iRound);
    if (up) {
      let j = iRound - 1;
      while (j >= 0 && all.charCodeAt(j) === 57) j--;
      if (j < 0) {
        all = `1${'0'.repeat(iRound)}`;
        iDP++;
      } else all = all.slice(0, j) + String.fromCharCode(all.charCodeAt(j) + 1) + '0'.repeat(iRound - 1 - j);
    }
  }
  return { neg, digits: trimZeros(all), iDP, special: null };
}

/** Digits (no leading zeros) and decimal-point position of a positive number's JS rendering. */
function splitDigits(str: string): { digits: string; iDP: number } {
  const e = str.indexOf('e');
  const mant = e < 0 ? str : str.slice(0, e);
  const exp = e < 0 ? 0 : Number(str.slice(e + 1));
  const dot = mant.indexOf('.');
  const intLen = dot < 0 ? mant.length : dot;
  let all = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let lead = 0;
  while (all.charCodeAt(lead) === 48) lead++;
  if (lead) all = all.slice(lead);
  return { digits: all, iDP: intLen + exp - lead };
}

function trimZeros(digits: string): string {
  let n = digits.length;
  while (n > 1 && digits.charCodeAt(n - 1) === 48) n--;
  return n === digits.length ? digits : digits.slice(0, n);
}

export interface FloatFlags {
  readonly alt?: boolean;
  readonly altform2?: boolean;
  readonly plus?: '+' | ' ' | '';
  readonly thousands?: boolean;
  readonly upper?: boolean;
}

/** One %f / %e / %g conversion without width handling. */
export function formatFloat(r: number, conv: 'f' | 'e' | 'g', precision: number, f: FloatFlags): string {
  let xtype = conv;
  if (precision < 0) precision = 6;
  let iRound: number;
  if (xtype === 'f') iRound = -precision;
  else if (xtype === 'g') {
    if (precision === 0) precision = 1;
    iRound = precision;
    // %g's precision counts significant digits; below it counts digits after the point.
    precision--;
  } else iRound = precision + 1;
  const s = fpDecode(r, iRound, f.altform2 ? 26 : 16);
  const prefix = s.neg ? '-' : (f.plus ?? '');
  if (s.special === 'nan') return 'NaN';
  if (s.special === 'inf') return `${prefix}Inf`;
  let exp = s.iDP - 1;
  let rtz: boolean;
  if (xtype === 'g') {
    rtz = !f.alt;
    if (exp < -4 || exp > precision) xtype = 'e';
    else {
      precision = precision - exp;
      xtype = 'f';
    }
  } else rtz = f.altform2 === true;
  let e2 = xtype === 'e' ? 0 : s.iDP - 1;
  const dp = precision > 0 || f.alt === true || f.altform2 === true;
  let out = prefix;
  let j = 0;
  const digit = (): string => (j < s.digits.length ? s.digits[j++] : '0');
  if (e2 < 0) out += '0';
  else
    for (; e2 >= 0; e2--) {
      out += digit();
      if (f.thousands && e2 % 3 === 0 && e2 > 1) out += ',';
    }
  if (dp) out += '.';
  for (e2++; e2 < 0 && precision > 0; precision--, e2++) out += '0';
  while (precision-- > 0) out += digit();
  if (rtz && dp) {
    out = out.replace(/0+$/, '');
    if (out.endsWith('.')) out = f.altform2 ? `${out}0` : out.slice(0, -1);
  }
  if (xtype === 'e') {
    exp = s.iDP - 1;
    out += f.upper ? 'E' : 'e';
    if (exp < 0) {
      out += '-';
      exp = -exp;
    } else out += '+';
    out += exp >= 100 ? String(exp) : String(exp).padStart(2, '0');
  }
  return out;
}
