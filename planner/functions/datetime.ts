/**
 * SQLite's date and time functions (src/date.c): date, time, datetime, julianday, unixepoch,
 * strftime, timediff. A time value is text (YYYY-MM-DD, HH:MM[:SS[.SSS]], both with an optional
 * 'T', time zone suffix [+-]HH:MM or Z, or 'now'), a number (a Julian day number, or seconds with
 * the 'unixepoch'/'auto' modifiers), or a TIMESTAMP column (its instant). Modifiers apply left to
 * right; anything malformed gives NULL. Internally a moment is `iJD`, the Julian day number in
 * milliseconds, exactly as SQLite keeps it, so rounding matches.
 */
import { tagReal } from '../tagged-real';
import type { ValueType } from '../expr';
import { cString, valueText } from '../sqlite-conversions';
import { formatFloat } from '../real-format';
import type { CallSite, ScalarFunction } from './types';
import { returnsConst } from './types';
import type { DateSite, DateTime } from './datetime-model';
import {
  computeJD,
  computeHMS,
  computeYMD,
  computeYMDHMS,
  blank,
  DAY_MS,
  idiv,
  toDateTime,
  UNIX_EPOCH_JD_MS,
} from './datetime-model';

const pad = (v: number, n: number): string => String(Math.abs(v)).padStart(n, '0');

function dateText(p: DateTime): string {
  computeYMD(p);
  return `${p.Y < 0 ? '-' : ''}${pad(p.Y, 4)}-${pad(p.M, 2)}-${pad(p.D, 2)}`;
}

function timeText(p: DateTime): string {
  computeHMS(p);
  const hm = `${pad(p.h, 2)}:${pad(p.m, 2)}:`;
  if (p.useSubsec) {
    const s = Math.trunc(1000 * p.s + 0.5);
    return `${hm}${pad(Math.trunc(s / 1000), 2)}.${pad(s % 1000, 3)}`;
  }
  return hm + pad(Math.trunc(p.s), 2);
}

function daysAfterJan01(p: DateTime): number {
  const jan = { ...p, validJD: false, M: 1, D: 1 };
  computeJD(jan);
  return idiv(p.iJD - jan.iJD + 43200000, DAY_MS);
}
const daysAfterMonday = (p: DateTime): number => idiv(p.iJD + 43200000, DAY_MS) % 7;
const daysAfterSunday = (p: DateTime): number => idiv(p.iJD + 129600000, DAY_MS) % 7;

/** The Thursday of p's ISO week (ISO years and weeks are counted from it). */
function isoThursday(p: DateTime): DateTime {
  const y = { ...p };
  computeJD(y);
  y.validYMD = false;
  y.iJD += (3 - daysAfterMonday(p)) * DAY_MS;
  computeYMD(y);
  return y;
}

/** C's "%0Nd": the sign counts toward the width. */
function cpad(v: number, n: number): string {
  return v < 0 ? `-${String(-v).padStart(n - 1, '0')}` : String(v).padStart(n, '0');
}

function strftime(fmt: string, x: DateTime): string | null {
  computeJD(x);
  computeYMDHMS(x);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const cf = fmt[++i];
    switch (cf) {
      case 'd':
        out += pad(x.D, 2);
        break;
      case 'e':
        out += String(x.D).padStart(2, ' ');
        break;
      case 'f': {
        const s = x.s > 59.999 ? 59.999 : x.s;
        out += formatFloat(s, 'f', 3, {}).padStart(6, '0');
        break;
      }
      case 'F':
        out += `${cpad(x.Y, 4)}-${pad(x.M, 2)}-${pad(x.D, 2)}`;
        break;
      case 'G':
      case 'g': {
        const y = isoThursday(x);
        out += cf === 'g' ? cpad(y.Y % 100, 2) : cpad(y.Y, 4);
        break;
      }
      case 'H':
        out += pad(x.h, 2);
        break;
      case 'k':
        out += String(x.h).padStart(2, ' ');
        break;
      case 'I':
      case 'l': {
        let h = x.h;
        if (h > 12) h -= 12;
        if (h === 0) h = 12;
        out += cf === 'I' ? pad(h, 2) : String(h).padStart(2, ' ');
        break;
      }
      case 'j':
        out += pad(daysAfterJan01(x) + 1, 3);
        break;
      case 'J':
        out += formatFloat(x.iJD / 86400000, 'g', 16, {});
        break;
      case 'm':
        out += pad(x.M, 2);
        break;
      case 'M':
        out += pad(x.m, 2);
        break;
      case 'p':
      case 'P':
        out += x.h >= 12 ? (cf === 'p' ? 'PM' : 'pm') : cf === 'p' ? 'AM' : 'am';
        break;
      case 'R':
        out += `${pad(x.h, 2)}:${pad(x.m, 2)}`;
        break;
      case 's':
        out += x.useSubsec
          ? formatFloat((x.iJD - UNIX_EPOCH_JD_MS) / 1000, 'f', 3, {})
          : String(idiv(x.iJD, 1000) - UNIX_EPOCH_JD_MS / 1000);
        break;
      case 'S':
        out += pad(Math.trunc(x.s), 2);
        break;
      case 'T':
        out += `${pad(x.h, 2)}:${pad(x.m, 2)}:${pad(Math.trunc(x.s), 2)}`;
        break;
      case 'u':
      case 'w': {
        const d = daysAfterSunday(x);
        out += String(d === 0 && cf === 'u' ? 7 : d);
        break;
      }
      case 'U':
        out += pad(idiv(daysAfterJan01(x) - daysAfterSunday(x) + 7, 7), 2);
        break;
      case 'V':
        out += pad(idiv(daysAfterJan01(isoThursday(x)), 7) + 1, 2);
        break;
      case 'W':
        out += pad(idiv(daysAfterJan01(x) - daysAfterMonday(x) + 7, 7), 2);
        break;
      case 'Y':
        out += cpad(x.Y, 4);
        break;
      case '%':
        out += '%';
        break;
      default:
        return null;
    }
  }
  return out;
}

/** With a changed field, the moment is recomputed from the calendar fields. */
function withFields(p: DateTime, fields: Partial<Pick<DateTime, 'Y' | 'M'>>): DateTime {
  const q = { ...p, ...fields, validJD: false };
  computeJD(q);
  return q;
}

/** timediff(A, B): A - B as "(+|-)YYYY-MM-DD HH:MM:SS.SSS" in calendar terms, as SQLite computes it. */
function timediff(d1: DateTime, b: DateTime): string {
  computeYMDHMS(d1);
  computeYMDHMS(b);
  let d2 = b;
  let sign: string;
  let Y: number;
  let M: number;
  let diff: number;
  if (d1.iJD >= d2.iJD) {
    sign = '+';
    Y = d1.Y - d2.Y;
    if (Y) d2 = withFields(d2, { Y: d1.Y });
    M = d1.M - d2.M;
    if (M < 0) {
      Y--;
      M += 12;
    }
    if (M !== 0) d2 = withFields(d2, { M: d1.M });
    while (d1.iJD < d2.iJD) {
      M--;
      if (M < 0) {
        M = 11;
        Y--;
      }
      d2 = d2.M - 1 < 1 ? withFields(d2, { M: 12, Y: d2.Y - 1 }) : withFields(d2, { M: d2.M - 1 });
    }
    diff = d1.iJD - d2.iJD;
  } else {
    sign = '-';
    Y = d2.Y - d1.Y;
    if (Y) d2 = withFields(d2, { Y: d1.Y });
    M = d2.M - d1.M;
    if (M < 0) {
      Y--;
      M += 12;
    }
    if (M !== 0) d2 = withFields(d2, { M: d1.M });
    while (d1.iJD > d2.iJD) {
      M--;
      if (M < 0) {
        M = 11;
        Y--;
      }
      d2 = d2.M + 1 > 12 ? withFields(d2, { M: 1, Y: d2.Y + 1 }) : withFields(d2, { M: d2.M + 1 });
    }
    diff = d2.iJD - d1.iJD;
  }
  const r = blank();
  r.iJD = diff + 1486995408 * 100000;
  r.validJD = true;
  computeYMDHMS(r);
  const sec = formatFloat(r.s, 'f', 3, {}).padStart(6, '0');
  return `${sign}${pad(Y, 4)}-${pad(M, 2)}-${pad(r.D - 1, 2)} ${pad(r.h, 2)}:${pad(r.m, 2)}:${sec}`;
}

type Render = (p: DateTime) => unknown;

function dateFunction(
  name: string,
  render: Render,
  returns: (types: readonly ValueType[]) => ValueType,
  summary: string,
  tagsReal = false,
): ScalarFunction {
  return {
    ...(tagsReal ? { tagsReal } : {}),
    kind: 'scalar',
    family: 'datetime',
    name,
    args: 'TIME-VALUE, MODIFIER, …',
    minArgs: 0,
    maxArgs: -1,
    // As in SQLite: deterministic within a statement; 'now' (or no argument) reads the clock.
    deterministic: true,
    summary,
    returns,
    compile: (site: CallSite) => {
      const { args } = site;
      const info: DateSite = {
        fn: name,
        timestamp: site.types[0] === 'timestamp',
        reals: site.types.map((t) => t === 'real'),
      };
      return (row) => {
        const values = args.map((a) => a(row));
        const p = toDateTime(values, info);
        return p === null ? null : render(p);
      };
    },
  };
}

export const DATETIME: readonly ScalarFunction[] = [
  dateFunction('date', dateText, returnsConst('text'), "The date as 'YYYY-MM-DD'."),
  dateFunction(
    'time',
    timeText,
    returnsConst('text'),
    "The time as 'HH:MM:SS' ('HH:MM:SS.SSS' with 'subsec').",
  ),
  dateFunction(
    'datetime',
    (p) => `${dateText(p)} ${timeText(p)}`,
    returnsConst('text'),
    "Date and time as 'YYYY-MM-DD HH:MM:SS' ('.SSS' with 'subsec').",
  ),
  dateFunction('julianday', (p) => p.iJD / 86400000, returnsConst('real'), 'The Julian day number (REAL).'),
  dateFunction(
    'unixepoch',
    // With 'subsec' the seconds are REAL even when whole (tagged: the static type is 'any').
    (p) =>
      p.useSubsec ? tagReal((p.iJD - UNIX_EPOCH_JD_MS) / 1000) : idiv(p.iJD, 1000) - UNIX_EPOCH_JD_MS / 1000,
    () => 'any',
    "Seconds since 1970-01-01 00:00:00 UTC: INTEGER, or REAL with 'subsec'.",
    true,
  ),
  {
    kind: 'scalar',
    family: 'datetime',
    name: 'strftime',
    args: 'FORMAT, TIME-VALUE, MODIFIER, …',
    minArgs: 1,
    maxArgs: -1,
    deterministic: true,
    summary:
      'The moment formatted with %d %e %f %F %G %g %H %I %j %J %k %l %m %M %p %P %R %s %S %T %u %U %V %w %W %Y %%; another conversion gives NULL.',
    returns: returnsConst('text'),
    compile: ({ args, types }) => {
      const info: DateSite = {
        fn: 'strftime',
        timestamp: types[1] === 'timestamp',
        reals: types.slice(1).map((t) => t === 'real'),
      };
      const fmtReal = types[0] === 'real';
      return (row) => {
        const text = valueText(args[0](row), fmtReal);
        if (text === null) return null;
        const fmt = cString(text);
        const p = toDateTime(
          args.slice(1).map((a) => a(row)),
          info,
        );
        return p === null ? null : strftime(fmt, p);
      };
    },
  },
  {
    kind: 'scalar',
    family: 'datetime',
    name: 'timediff',
    args: 'A, B',
    minArgs: 2,
    maxArgs: 2,
    deterministic: true,
    summary: "A - B as '(+|-)YYYY-MM-DD HH:MM:SS.SSS' counted in calendar years, months and days.",
    returns: returnsConst('text'),
    compile: ({ args, types }) => {
      const sa: DateSite = {
        fn: 'timediff',
        timestamp: types[0] === 'timestamp',
        reals: [types[0] === 'real'],
      };
      const sb: DateSite = {
        fn: 'timediff',
        timestamp: types[1] === 'timestamp',
        reals: [types[1] === 'real'],
      };
      return (row) => {
        const a = toDateTime([args[0](row)], sa);
        if (a === null) return null;
        const b = toDateTime([args[1](row)], sb);
        return b === null ? null : timediff(a, b);
      };
    },
  },
];
