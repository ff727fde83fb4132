/**
 * printf()/format() with SQLite's conversions (src/printf.c): %d %i %u %x %X %o %c %s %z %q %Q %w
 * %f %e %E %g %G %%, flags `- + space 0 # , !`, width and precision (`*` reads an argument).
 * Missing arguments read as NULL. Floating-point digits come from fpDecode, which rounds the
 * value's 18-significant-digit expansion the way SQLite's decoder does, so round() and printf
 * agree with each other and (nearly always) with SQLite.
 */
import { DataError } from '../../src/errors';
import { formatFloat, fpDecode } from '../real-format';
import { cString, toInt64, toReal, valueText } from '../sqlite-conversions';
import { TaggedReal } from '../tagged-real';
import type { ScalarFunction } from './types';
import { realFlags, returnsConst } from './types';

/** round(r, n) for n > 0: SQLite prints with "%!.*f" and reads the text back. */
export function roundDecimal(r: number, n: number): number {
  // The digits "%!.*f" would print, read back without building the padded text.
  const d = fpDecode(r, -n, 26);
  if (d.special) return r;
  const keep = d.iDP + n;
  if (keep <= 0) return d.neg ? -0 : 0;
  const digits = d.digits.length > keep ? d.digits.slice(0, keep) : d.digits;
  let text: string;
  if (d.iDP <= 0) text = `0.${'0'.repeat(-d.iDP)}${digits}`;
  else if (d.iDP >= digits.length) text = digits + '0'.repeat(d.iDP - digits.length);
  else text = `${digits.slice(0, d.iDP)}.${digits.slice(d.iDP)}`;
  const v = Number(text);
  return d.neg ? -v : v;
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
        if (v instanceof Uint8Array && !flags.altform2) {
          // A blob's bytes are used as they are (they need not be UTF-8): width counts them.
          let bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
          const nul = bytes.indexOf(0);
          if (nul >= 0) bytes = bytes.subarray(0, nul);
          if (precision >= 0 && bytes.length > precision) bytes = bytes.subarray(0, precision);
          text = bytes.toString('utf8');
          out += pad(text, bytes.length, width, flags, false);
          continue;
        }
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
    out += pad(text, len, width, flags, numeric);
  }
  return out;
}

function pad(text: string, len: number, width: number, flags: Flags, numeric: boolean): string {
  if (width <= len) return text;
  const n = width - len;
  if (flags.left) return text + ' '.repeat(n);
  if (flags.zero && numeric && !/[IN]/.test(text)) {
    const sign = /^[-+ ]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(n) + text.slice(sign.length);
  }
  return ' '.repeat(n) + text;
}

export const PRINTF: readonly ScalarFunction[] = ['printf', 'format'].map((name) => ({
  kind: 'scalar',
  family: 'core',
  name,
  args: 'FORMAT, …',
  minArgs: 1,
  maxArgs: -1,
  deterministic: true,
  summary:
    'SQLite printf: %d %i %u %x %X %o %c %s %z %q %Q %w %f %e %E %g %G %%, flags - + space 0 # , !, width, precision, *. NULL format gives NULL.',
  returns: returnsConst('text'),
  compile: (site) => {
    const { types } = site;
    const reals = realFlags(types);
    const fmtReal = reals[0];
    const rest = reals.slice(1);
    // An argument whose class is decided per row comes tagged: its tag says a whole number is REAL.
    const args = types.includes('any') ? site.tagged : site.args;
    return (row) => {
      const fmt = valueText(args[0](row), fmtReal);
      if (fmt === null) return null;
      const values = new Array<unknown>(args.length - 1);
      let flags = rest;
      for (let i = 1; i < args.length; i++) {
        const v = args[i](row);
        if (v instanceof TaggedReal) {
          if (flags === rest) flags = rest.slice();
          flags[i - 1] = true;
          values[i - 1] = v.value;
        } else values[i - 1] = v;
      }
      return sqlPrintf(fmt, values, flags);
    };
  },
}));
