/**
 * The moment model behind the date and time functions (SQLite's src/date.c): a DateTime holds
 * `iJD`, the Julian day number in milliseconds, and/or calendar fields, converted lazily in
 * both directions with SQLite's own integer arithmetic so results match digit for digit. Parsing
 * of time values and modifiers lives here; datetime.ts renders results.
 */
import { cString, isSpace, parseNumberPrefix, valueText } from '../sqlite-conversions';
import { QueryError } from '../../src/errors';

/** Julian day (ms) of 1970-01-01 00:00:00 UTC. */
export const UNIX_EPOCH_JD_MS = 210866760000000;
export const DAY_MS = 86400000;
const MAX_JD_MS = 464269060799999;

export interface DateTime {
  iJD: number;
  Y: number;
  M: number;
  D: number;
  h: number;
  m: number;
  tz: number;
  s: number;
  validJD: boolean;
  validYMD: boolean;
  validHMS: boolean;
  rawS: boolean;
  isError: boolean;
  useSubsec: boolean;
  isUtc: boolean;
  isLocal: boolean;
  nFloor: number;
}

export function blank(): DateTime {
  return {
    iJD: 0,
    Y: 0,
    M: 0,
    D: 0,
    h: 0,
    m: 0,
    tz: 0,
    s: 0,
    validJD: false,
    validYMD: false,
    validHMS: false,
    rawS: false,
    isError: false,
    useSubsec: false,
    isUtc: false,
    isLocal: false,
    nFloor: 0,
  };
}

export const idiv = (a: number, b: number): number => Math.trunc(a / b);

/**
 * getDigits(): fixed-width fields such as "40f-21a-21d" (4 digits, 0..9999, '-', 2 digits 1..12,
 * '-', 2 digits 1..31). Returns the values, or null when a field is malformed or out of range.
 */
function getDigits(z: string, at: number, spec: string): number[] | null {
  const MAX: Readonly<Record<string, number>> = { a: 12, b: 14, c: 24, d: 31, e: 59, f: 9999, g: 99999 };
  const out: number[] = [];
  let i = at;
  for (let k = 0; k < spec.length; k += 4) {
    const n = Number(spec[k]);
    const min = Number(spec[k + 1]);
    const max = MAX[spec[k + 2]];
    const sep = spec[k + 3];
    let v = 0;
    for (let j = 0; j < n; j++, i++) {
      const c = z.charCodeAt(i);
      if (!(c >= 48 && c <= 57)) return null;
      v = v * 10 + c - 48;
    }
    if (v < min || v > max) return null;
    if (sep !== undefined && z[i] !== sep) return null;
    i++;
    out.push(v);
  }
  return out;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function skipSpaces(z: string, i: number): number {
  while (i < z.length && isSpace(z.charCodeAt(i))) i++;
  return i;
}

function parseTimezone(z: string, i: number, p: DateTime): boolean {
  i = skipSpaces(z, i);
  p.tz = 0;
  const c = z[i];
  let sgn = 0;
  if (c === '-') sgn = -1;
  else if (c === '+') sgn = 1;
  else if (c === 'Z' || c === 'z') {
    p.isLocal = false;
    p.isUtc = true;
    return skipSpaces(z, i + 1) === z.length;
  } else return i === z.length;
  const hm = getDigits(z, i + 1, '20b:20e');
  if (!hm) return false;
  p.tz = sgn * (hm[1] + hm[0] * 60);
  return skipSpaces(z, i + 6) === z.length;
}

function parseHhMmSs(z: string, start: number, p: DateTime): boolean {
  const hm = getDigits(z, start, '20c:20e');
  if (!hm) return false;
  let i = start + 5;
  let s = 0;
  let ms = 0;
  if (z[i] === ':') {
    const sec = getDigits(z, i + 1, '20e');
    if (!sec) return false;
    s = sec[0];
    i += 3;
    if (z[i] === '.' && isDigit(z[i + 1])) {
      let scale = 1;
      i++;
      while (isDigit(z[i])) {
        ms = ms * 10 + Number(z[i]);
        scale *= 10;
        i++;
      }
      ms /= scale;
      // SQLite truncates so that sub-millisecond rounding never reaches the next second.
      if (ms > 0.999) ms = 0.999;
    }
  }
  p.validJD = false;
  p.rawS = false;
  p.validHMS = true;
  p.h = hm[0];
  p.m = hm[1];
  p.s = s + ms;
  return parseTimezone(z, i, p);
}

function computeFloor(p: DateTime): void {
  if (p.D <= 28) p.nFloor = 0;
  else if ((1 << p.M) & 0x15aa) p.nFloor = 0;
  else if (p.M !== 2) p.nFloor = p.D === 31 ? 1 : 0;
  else if (p.Y % 4 !== 0 || (p.Y % 100 === 0 && p.Y % 400 !== 0)) p.nFloor = p.D - 28;
  else p.nFloor = p.D - 29;
}

function parseYyyyMmDd(z: string, p: DateTime): boolean {
  let i = 0;
  const neg = z[0] === '-';
  if (neg) i++;
  const ymd = getDigits(z, i, '40f-21a-21d');
  if (!ymd) return false;
  i += 10;
  while (i < z.length && (isSpace(z.charCodeAt(i)) || z[i] === 'T')) i++;
  if (parseHhMmSs(z, i, p)) {
    // time parsed
  } else if (i === z.length) p.validHMS = false;
  else return false;
  p.validJD = false;
  p.validYMD = true;
  p.Y = neg ? -ymd[0] : ymd[0];
  p.M = ymd[1];
  p.D = ymd[2];
  computeFloor(p);
  if (p.tz) computeJD(p);
  return true;
}

function setRawDateNumber(p: DateTime, r: number): void {
  p.s = r;
  p.rawS = true;
  if (r >= 0 && r < 5373484.5) {
    p.iJD = Math.trunc(r * 86400000 + 0.5);
    p.validJD = true;
  }
}

function setNow(p: DateTime): void {
  readClock();
  p.iJD = Date.now() + UNIX_EPOCH_JD_MS;
  p.validJD = true;
  p.isUtc = true;
  p.isLocal = false;
}

function parseDateOrTime(z: string, p: DateTime): boolean {
  if (parseYyyyMmDd(z, p)) return true;
  const q = blank();
  if (parseHhMmSs(z, 0, q)) {
    Object.assign(p, q);
    return true;
  }
  const lower = z.toLowerCase();
  if (lower === 'now') {
    setNow(p);
    return true;
  }
  const n = parseNumberPrefix(z);
  if (n.whole && n.text !== '') {
    setRawDateNumber(p, n.value);
    return true;
  }
  if (lower === 'subsec' || lower === 'subsecond') {
    p.useSubsec = true;
    setNow(p);
    return true;
  }
  return false;
}

export function computeJD(p: DateTime): void {
  if (p.validJD) return;
  let Y: number;
  let M: number;
  let D: number;
  if (p.validYMD) {
    Y = p.Y;
    M = p.M;
    D = p.D;
  } else {
    Y = 2000;
    M = 1;
    D = 1;
  }
  if (Y < -4713 || Y > 9999 || p.rawS) {
    datetimeError(p);
    return;
  }
  if (M <= 2) {
    Y--;
    M += 12;
  }
  // Floor, not C's truncation: SQLite shifts the year so these divisions never see a negative
  // number, which is the same as flooring (julianday('-2600-11-23') is 771755.5).
  const A = Math.floor(Y / 100);
  const B = 2 - A + Math.floor(A / 4);
  const X1 = idiv(36525 * (Y + 4716), 100);
  const X2 = idiv(306001 * (M + 1), 10000);
  p.iJD = Math.trunc((X1 + X2 + D + B - 1524.5) * 86400000);
  p.validJD = true;
  if (p.validHMS) {
    p.iJD += p.h * 3600000 + p.m * 60000 + Math.trunc(p.s * 1000 + 0.5);
    if (p.tz) {
      p.iJD -= p.tz * 60000;
      p.validYMD = false;
      p.validHMS = false;
      p.tz = 0;
      p.isUtc = true;
      p.isLocal = false;
    }
  }
}

/** SQLite clears every field on an error; 'localtime' and 'utc' then carry on from that blank. */
function datetimeError(p: DateTime): void {
  Object.assign(p, blank(), { isError: true });
}

function validJulianDay(iJD: number): boolean {
  return iJD >= 0 && iJD <= MAX_JD_MS;
}

export function computeYMD(p: DateTime): void {
  if (p.validYMD) return;
  if (!p.validJD) {
    p.Y = 2000;
    p.M = 1;
    p.D = 1;
  } else if (!validJulianDay(p.iJD)) {
    datetimeError(p);
    return;
  } else {
    const Z = idiv(p.iJD + 43200000, 86400000);
    let A = Math.trunc((Z - 1867216.25) / 36524.25);
    A = Z + 1 + A - idiv(A, 4);
    const B = A + 1524;
    const C = Math.trunc((B - 122.1) / 365.25);
    const D = idiv(36525 * (C & 32767), 100);
    const E = Math.trunc((B - D) / 30.6001);
    const X1 = Math.trunc(30.6001 * E);
    p.D = B - D - X1;
    p.M = E < 14 ? E - 1 : E - 13;
    p.Y = p.M > 2 ? C - 4716 : C - 4715;
  }
  p.validYMD = true;
}

export function computeHMS(p: DateTime): void {
  if (p.validHMS) return;
  computeJD(p);
  const dayMs = (p.iJD + 43200000) % 86400000;
  p.s = (dayMs % 60000) / 1000;
  const dayMin = idiv(dayMs, 60000);
  p.m = dayMin % 60;
  p.h = idiv(dayMin, 60);
  p.rawS = false;
  p.validHMS = true;
}

export function computeYMDHMS(p: DateTime): void {
  computeYMD(p);
  computeHMS(p);
}

function clearYMDHMSTZ(p: DateTime): void {
  p.validYMD = false;
  p.validHMS = false;
  p.tz = 0;
}

/**
 * toLocaltime(): the process's local time of p's moment. Outside 1970–2037 the year is mapped into
 * that range first (as SQLite does for localtime_r) and mapped back after.
 */
function toLocaltime(p: DateTime): void {
  computeJD(p);
  let t: number;
  let yearDiff = 0;
  if (p.iJD < 210866760000000 || p.iJD > 213014145600000) {
    const x = { ...p };
    computeYMDHMS(x);
    yearDiff = 2000 + (x.Y % 4) - x.Y;
    x.Y += yearDiff;
    x.validJD = false;
    computeJD(x);
    t = idiv(x.iJD, 1000) - UNIX_EPOCH_JD_MS / 1000;
  } else t = idiv(p.iJD, 1000) - UNIX_EPOCH_JD_MS / 1000;
  const local = new Date(t * 1000);
  p.Y = local.getFullYear() - yearDiff;
  p.M = local.getMonth() + 1;
  p.D = local.getDate();
  p.h = local.getHours();
  p.m = local.getMinutes();
  p.s = local.getSeconds() + (p.iJD % 1000) * 0.001;
  p.validYMD = true;
  p.validHMS = true;
  p.validJD = false;
  p.rawS = false;
  p.tz = 0;
  p.isError = false;
}

const TRANSFORMS: readonly { name: string; limit: number; ms: number }[] = [
  { name: 'second', limit: 4.6427e14, ms: 1 },
  { name: 'minute', limit: 7.7379e12, ms: 60 },
  { name: 'hour', limit: 1.2897e11, ms: 3600 },
  { name: 'day', limit: 5373485, ms: 86400 },
  { name: 'month', limit: 176546, ms: 2592000 },
  { name: 'year', limit: 14713, ms: 31536000 },
];

function addMonths(p: DateTime, months: number): void {
  p.M += months;
  const x = p.M > 0 ? idiv(p.M - 1, 12) : idiv(p.M - 12, 12);
  p.Y += x;
  p.M -= x * 12;
}

/** One modifier; false when it is malformed (the whole call is then NULL). */
function applyModifier(raw: string, p: DateTime, idx: number): boolean {
  const z = raw.toLowerCase();
  switch (z[0]) {
    case 'a':
      if (z !== 'auto') return false;
      if (idx > 1) return false;
      if (!p.rawS || p.validJD) {
        p.rawS = false;
        return true;
      }
      if (p.s >= -210866760000 && p.s <= 253402300799) {
        const r = p.s * 1000 + UNIX_EPOCH_JD_MS;
        clearYMDHMSTZ(p);
        p.iJD = Math.trunc(r + 0.5);
        p.validJD = true;
        p.rawS = false;
        return true;
      }
      return false;
    case 'c':
      if (z !== 'ceiling') return false;
      computeJD(p);
      clearYMDHMSTZ(p);
      p.nFloor = 0;
      return true;
    case 'f':
      if (z !== 'floor') return false;
      computeJD(p);
      p.iJD -= p.nFloor * DAY_MS;
      clearYMDHMSTZ(p);
      return true;
    case 'j':
      if (z !== 'julianday' || idx > 1) return false;
      if (p.validJD && p.rawS) {
        p.rawS = false;
        return true;
      }
      return false;
    case 'l':
      if (z !== 'localtime') return false;
      readClock();
      if (!p.isLocal) toLocaltime(p);
      p.isUtc = false;
      p.isLocal = true;
      return true;
    case 'u':
      if (z === 'unixepoch') {
        if (idx > 1 || !p.rawS) return false;
        const r = p.s * 1000 + UNIX_EPOCH_JD_MS;
        if (!(r >= 0 && r < 464269060800000)) return false;
        clearYMDHMSTZ(p);
        p.iJD = Math.trunc(r + 0.5);
        p.validJD = true;
        p.rawS = false;
        return true;
      }
      if (z === 'utc') {
        readClock();
        if (p.isUtc) return true;
        // Local → UTC: guess, see what local time the guess gives, correct (at most 4 rounds).
        computeJD(p);
        const orig = p.iJD;
        let guess = orig;
        let err = 0;
        let cnt = 0;
        do {
          guess -= err;
          const t = blank();
          t.iJD = guess;
          t.validJD = true;
          toLocaltime(t);
          computeJD(t);
          err = t.iJD - orig;
        } while (err && cnt++ < 3);
        Object.assign(p, blank(), { iJD: guess, validJD: true, isUtc: true });
        return true;
      }
      return false;
    case 'w': {
      if (!z.startsWith('weekday ')) return false;
      const n = parseNumberPrefix(z.slice(8));
      const r = n.value;
      if (!(n.whole && n.text !== '' && r >= 0 && r < 7 && Math.trunc(r) === r)) return false;
      computeYMDHMS(p);
      p.tz = 0;
      p.validJD = false;
      computeJD(p);
      let Zd = idiv(p.iJD + 129600000, 86400000) % 7;
      if (Zd > r) Zd -= 7;
      p.iJD += (r - Zd) * DAY_MS;
      clearYMDHMSTZ(p);
      return true;
    }
    case 's': {
      if (!z.startsWith('start of ')) {
        if (z === 'subsec' || z === 'subsecond') {
          p.useSubsec = true;
          return true;
        }
        return false;
      }
      if (!p.validJD && !p.validYMD && !p.validHMS) return false;
      const unit = z.slice(9);
      computeYMD(p);
      p.validHMS = true;
      p.h = 0;
      p.m = 0;
      p.s = 0;
      p.rawS = false;
      p.tz = 0;
      p.validJD = false;
      if (unit === 'month') p.D = 1;
      else if (unit === 'year') {
        p.M = 1;
        p.D = 1;
      } else if (unit !== 'day') return false;
      return true;
    }
    default:
      if (z[0] === '+' || z[0] === '-' || isDigit(z[0])) return applyOffset(z, p);
      return false;
  }
}

/** Modifiers that move the moment: '+N days', '-HH:MM', '+YYYY-MM-DD [HH:MM]'. */
function applyOffset(z: string, p: DateTime): boolean {
  const z0 = z[0];
  let n = 1;
  for (; n < z.length; n++) {
    if (z[n] === ':' || isSpace(z.charCodeAt(n))) break;
    if (z[n] === '-') {
      if (n === 5 && getDigits(z, 1, '40f')) break;
      if (n === 6 && getDigits(z, 1, '50g')) break;
    }
  }
  const num = parseNumberPrefix(z.slice(0, n));
  if (!(num.whole && num.text !== '')) return false;
  let r = num.value;
  if (z[n] === '-') {
    if (z0 !== '+' && z0 !== '-') return false;
    const ymd = n === 5 ? getDigits(z, 1, '40f-20a-20d') : getDigits(z, 1, '50g-20a-20d');
    if (!ymd) return false;
    let i = n === 5 ? 11 : 12;
    const [Y, M] = ymd;
    let D = ymd[2];
    if (M >= 12 || D >= 31) return false;
    computeYMDHMS(p);
    p.validJD = false;
    if (z0 === '-') {
      p.Y -= Y;
      p.M -= M;
      D = -D;
    } else {
      p.Y += Y;
      p.M += M;
    }
    addMonths(p, 0);
    computeFloor(p);
    computeJD(p);
    p.validHMS = false;
    p.validYMD = false;
    p.iJD += D * DAY_MS;
    if (i >= z.length) return true;
    if (isSpace(z.charCodeAt(i))) i++;
    const tx = blank();
    if (!parseHhMmSs(z, i, tx)) return false;
    return addTime(p, tx, z0);
  }
  if (z[n] === ':') {
    const tx = blank();
    const start = isDigit(z[0]) ? 0 : 1;
    if (!parseHhMmSs(z, start, tx)) return false;
    return addTime(p, tx, z0);
  }
  let rest = z.slice(n).replace(/^[\t\n\v\f\r ]+/, '');
  if (rest.length < 3 || rest.length > 10) return false;
  if (rest.endsWith('s')) rest = rest.slice(0, -1);
  computeJD(p);
  const rounder = r < 0 ? -0.5 : 0.5;
  p.nFloor = 0;
  let ok = false;
  for (const t of TRANSFORMS) {
    if (t.name !== rest || !(r > -t.limit && r < t.limit)) continue;
    if (t.name === 'month') {
      computeYMDHMS(p);
      addMonths(p, Math.trunc(r));
      computeFloor(p);
      p.validJD = false;
      r -= Math.trunc(r);
    } else if (t.name === 'year') {
      computeYMDHMS(p);
      p.Y += Math.trunc(r);
      computeFloor(p);
      p.validJD = false;
      r -= Math.trunc(r);
    }
    computeJD(p);
    p.iJD += Math.trunc(r * 1000 * t.ms + rounder);
    ok = true;
    break;
  }
  clearYMDHMSTZ(p);
  return ok;
}

function addTime(p: DateTime, tx: DateTime, sign: string): boolean {
  computeJD(tx);
  tx.iJD -= 43200000;
  const day = idiv(tx.iJD, DAY_MS);
  tx.iJD -= day * DAY_MS;
  if (sign === '-') tx.iJD = -tx.iJD;
  computeJD(p);
  clearYMDHMSTZ(p);
  p.iJD += tx.iJD;
  return true;
}

/** isDate(): the moment the arguments name, or null (SQLite's NULL result). */
export function toDateTime(values: readonly unknown[], site: DateSite): DateTime | null {
  evaluating = site.fn;
  const p = blank();
  if (values.length === 0) setNow(p);
  else {
    const v = values[0];
    if (v === null) return null;
    if (site.timestamp && typeof v === 'number') {
      p.iJD = v + UNIX_EPOCH_JD_MS;
      p.validJD = true;
      p.isUtc = true;
    } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      setRawDateNumber(p, typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
    } else if (v instanceof Date) {
      p.iJD = v.getTime() + UNIX_EPOCH_JD_MS;
      p.validJD = true;
      p.isUtc = true;
    } else {
      const z = valueText(v, false);
      if (z === null || !parseDateOrTime(cString(z), p)) return null;
    }
  }
  for (let i = 1; i < values.length; i++) {
    const z = valueText(values[i], site.reals[i]);
    if (z === null || !applyModifier(cString(z), p, i)) return null;
  }
  computeJD(p);
  if (p.isError || !validJulianDay(p.iJD)) return null;
  if (values.length === 1 && p.validYMD && p.D > 28) p.validYMD = false;
  return p;
}

export interface DateSite {
  /** The SQL function's name, for SQLite's message when it may not read the clock. */
  readonly fn: string;
  readonly timestamp: boolean;
  readonly reals: readonly boolean[];
}

/**
 * Whether the clock and the local time zone are off limits ('now', 'localtime', 'utc'): while a
 * generated column is computed, whose value must follow from its row alone. Reading them then
 * fails the write with SQLite's message (planner/functions keeps one flag: evaluation is
 * synchronous and a generated column's expression calls no user code that could re-enter).
 */
let clockForbidden = false;
/** The date function being evaluated (its name goes into the refusal). */
let evaluating = '';

export function forbidClock(forbidden: boolean): void {
  clockForbidden = forbidden;
}

function readClock(): void {
  if (clockForbidden)
    throw new QueryError(`non-deterministic use of ${evaluating}() in a generated column`, 'QUERY');
}
