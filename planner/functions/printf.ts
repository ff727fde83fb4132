/**
 * printf()/format() with SQLite's conversions (src/printf.c): %d %i %u %x %X %o %c %s %z %q %Q %w
 * %f %e %E %g %G %%, flags `- + space 0 # , !`, width and precision (`*` reads an argument).
 * Missing arguments read as NULL. Floating-point digits come from fpDecode, which rounds the
 * value's 18-significant-digit expansion the way SQLite's decoder does, so round() and printf
 * agree with each other and (nearly always) with SQLite.
 */
import { DataError } from '../../src/errors';
import { toInt64, toReal, valueText } from '../sqlite-conversions';
import type { ScalarFunction } from './types';
import { realFlags, returnsConst } from './types';

interface Decoded {
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
  const [mant, expPart] = a.toPrecision(18).split('e');
  const exp = expPart === undefined ? 0 : Number(expPart);
  const intLen = mant.indexOf('.') < 0 ? mant.length : mant.indexOf('.');
  let all = mant.replace('.', '');
  let lead = 0;
  while (all[lead] === '0') lead++;
  all = all.slice(lead);
  let iDP = intLen + exp - lead;
  const z = all.split('').map(Number);
  if (iRound <= 0) {
    iRound = iDP - iRound;
    if (iRound === 0 && z[0] >= 5) {
      iRound = 1;
      z.unshift(0);
      iDP++;
    }
  }
  if (iRound > 0 && (iRound < z.length || z.length > mxRound)) {
    if (iRound > mxRound) iRound = mxRound;
    const up = z[iRound] >= 5;
    z.length = iRound;
    if (up) {
      let j = iRound - 1;
      for (;;) {
        z[j]++;
        if (z[j] <= 9) break;
        z[j] = 0;
        if (j === 0) {
          z.unshift(1);
          iDP++;
          break;
        }
        j--;
      }
    }
  }
  let n = z.length;
  while (n > 1 && z[n - 1] === 0) n--;
  return { neg, digits: z.slice(0, n).join(''), iDP, special: null };
}

/** round(r, n) for n > 0: SQLite prints with "%!.*f" and reads the text back. */
export function roundDecimal(r: number, n: number): number {
  return Number(formatFloat(r, 'f', n, { altform2: true }));
}

interface FloatFlags {
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

const U64 = 2n ** 64n;

function formatInt(v: bigint, conv: string, precision: number, flags: Flags): string {
  let prefix = '';
  let body: string;
  if (conv === 'd' || conv === 'i') {
    if (v < 0n) {
      prefix = '-';
      v = -v;
    } else prefix = flags.plus;
    body = v.toString();
  } else {
    const u = v < 0n ? v + U64 : v;
    if (conv === 'u') body = u.toString();
    else if (conv === 'o') body = u.toString(8);
    else body = conv === 'X' ? u.toString(16).toUpperCase() : u.toString(16);
    if (flags.alt && u !== 0n) prefix = conv === 'o' ? '0' : conv === 'x' ? '0x' : conv === 'X' ? '0X' : '';
  }
  if (precision >= 0 && body.length < precision) body = body.padStart(precision, '0');
  if (flags.thousands && (conv === 'd' || conv === 'i' || conv === 'u'))
    body = body.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return prefix + body;
}

/** Text as a C string sees it: up to the first NUL. */
function cString(s: string): string {
  const i = s.indexOf('\u0000');
  return i < 0 ? s : s.slice(0, i);
}

/** The first `n` bytes (characters with the ! flag); a cut character decodes as U+FFFD. */
function truncate(s: string, n: number, chars: boolean): string {
  if (chars) return Array.from(s).slice(0, n).join('');
  const b = Buffer.from(s, 'utf8');
  return b.length <= n ? s : b.subarray(0, n).toString('utf8');
}

interface Flags {
  left: boolean;
  plus: '+' | ' ' | '';
  zero: boolean;
  alt: boolean;
  altform2: boolean;
  thousands: boolean;
}

/** SQLite's printf over SQL values; `reals` marks REAL arguments. */
export function sqlPrintf(fmt: string, args: readonly unknown[], reals: readonly boolean[]): string {
  let out = '';
  let ai = 0;
  const next = (): { v: unknown; real: boolean } => {
    const i = ai++;
    return { v: i < args.length ? args[i] : null, real: reals[i] === true };
  };
  const chars = Array.from(fmt);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (++i >= chars.length) break;
    const flags: Flags = {
      left: false,
      plus: '',
      zero: false,
      alt: false,
      altform2: false,
      thousands: false,
    };
    for (; i < chars.length; i++) {
      const f = chars[i];
      if (f === '-') flags.left = true;
      else if (f === '+') flags.plus = '+';
      else if (f === ' ') flags.plus = flags.plus === '+' ? '+' : ' ';
      else if (f === '0') flags.zero = true;
      else if (f === '#') flags.alt = true;
      else if (f === '!') flags.altform2 = true;
      else if (f === ',') flags.thousands = true;
      else break;
    }
    let width = 0;
    if (chars[i] === '*') {
      width = Number(toInt64(next().v));
      if (width < 0) {
        flags.left = true;
        width = width >= -2147483647 ? -width : 0;
      }
      i++;
    } else
      while (i < chars.length && chars[i] >= '0' && chars[i] <= '9') width = width * 10 + Number(chars[i++]);
    let precision = -1;
    if (chars[i] === '.') {
      i++;
      if (chars[i] === '*') {
        precision = Number(toInt64(next().v));
        if (precision < 0) precision = precision >= -2147483647 ? -precision : -1;
        i++;
      } else {
        precision = 0;
        while (i < chars.length && chars[i] >= '0' && chars[i] <= '9')
          precision = precision * 10 + Number(chars[i++]);
      }
    }
    while (chars[i] === 'l') i++;
    if (i >= chars.length) break;
    if (width > 100_000_000 || precision > 100_000_000) throw new DataError('string or blob too big', 'DATA');
    const conv = chars[i];
    let text: string;
    let numeric = false;
    switch (conv) {
      case '%':
        text = '%';
        break;
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
        text = formatInt(toInt64(next().v), conv, precision, flags);
        numeric = true;
        break;
      case 'f':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        const base = conv.toLowerCase() as 'f' | 'e' | 'g';
        text = formatFloat(toReal(next().v), base, precision, {
          alt: flags.alt,
          altform2: flags.altform2,
          plus: flags.plus,
          thousands: flags.thousands,
          upper: conv === 'E' || conv === 'G',
        });
        numeric = true;
        break;
      }
      case 'c': {
        const { v, real } = next();
        const s = valueText(v, real) ?? '';
        const ch = s.length ? String.fromCodePoint(s.codePointAt(0) ?? 0) : '\u0000';
        text = precision > 1 ? ch.repeat(precision) : ch;
        break;
      }
      case 's':
      case 'z': {
        const { v, real } = next();
        text = cString(valueText(v, real) ?? '');
        if (precision >= 0) text = truncate(text, precision, flags.altform2);
        break;
      }
      case 'q':
      case 'Q':
      case 'w': {
        const { v, real } = next();
        const s = valueText(v, real);
        const quote = conv === 'w' ? '"' : "'";
        if (s === null) text = conv === 'Q' ? 'NULL' : '(NULL)';
        else {
          let body = cString(s);
          if (precision >= 0) body = truncate(body, precision, flags.altform2);
          text = body.split(quote).join(quote + quote);
          if (conv === 'Q') text = `'${text}'`;
        }
        break;
      }
      default:
        // SQLite stops formatting at a conversion it does not know.
        return out;
    }
    // Width counts bytes, or characters with the ! flag, as in SQLite.
    const len = flags.altform2 ? Array.from(text).length : Buffer.byteLength(text, 'utf8');
    if (width > len) {
      const pad = width - len;
      if (flags.left) text += ' '.repeat(pad);
      else if (flags.zero && numeric && !/[IN]/.test(text)) {
        const sign = /^[-+ ]/.test(text) ? text[0] : '';
        text = sign + '0'.repeat(pad) + text.slice(sign.length);
      } else text = ' '.repeat(pad) + text;
    }
    out += text;
  }
  return out;
}

export const PRINTF: readonly ScalarFunction[] = ['printf', 'format'].map((name) => ({
  kind: 'scalar',
  family: 'core',
  name,
  minArgs: 1,
  maxArgs: -1,
  deterministic: true,
  summary:
    'SQLite printf: %d %i %u %x %X %o %c %s %z %q %Q %w %f %e %E %g %G %%, flags - + space 0 # , !, width, precision, *. NULL format gives NULL.',
  returns: returnsConst('text'),
  compile: ({ args, types }) => {
    const reals = realFlags(types);
    const fmtReal = reals[0];
    const rest = reals.slice(1);
    return (row) => {
      const fmt = valueText(args[0](row), fmtReal);
      if (fmt === null) return null;
      const values = new Array<unknown>(args.length - 1);
      for (let i = 1; i < args.length; i++) values[i - 1] = args[i](row);
      return sqlPrintf(fmt, values, rest);
    };
  },
}));
