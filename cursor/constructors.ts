/**
 * PEP 249 module constructors, so code ported from a Python driver finds them. They build the
 * values this driver binds: dates and timestamps are JS `Date`s (stored in TIMESTAMP/DATE
 * columns as epoch milliseconds), a time of day is `'HH:MM:SS'` text (there is no TIME type; this
 * is also how Python's sqlite3 stores one), and binary data is a `Buffer`.
 *
 * Everything is UTC: `Date(2024, 1, 31)` is 2024-01-31T00:00:00Z (months count from 1, as in
 * Python), and the *FromTicks variants read seconds since the epoch in UTC, where Python uses the
 * local time zone. Bad arguments are a DataError, never a silent `Invalid Date`.
 */
import { DataError } from '../src/errors';

function int(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new DataError(`${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`, 'DATA');
  return v;
}

function seconds(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new DataError(`${name} must be a finite number`, 'DATA');
  return v;
}

function utc(year: number, month: number, day: number, ms: number): globalThis.Date {
  const d = new globalThis.Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(0, 0, 0, ms);
  // Date.UTC would roll 2023-02-30 over to March; PEP 249's constructors must refuse it.
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day)
    throw new DataError(`${year}-${month}-${day} is not a calendar date`, 'DATA');
  return d;
}

function checked(ms: number): globalThis.Date {
  const d = new globalThis.Date(ms);
  if (Number.isNaN(d.getTime())) throw new DataError('the time is outside the range of a Date', 'DATA');
  return d;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A date: UTC midnight of year-month-day (month 1–12). */
export function dbDate(year: number, month: number, day: number): globalThis.Date {
  return utc(int(year, 'year', 1, 9999), int(month, 'month', 1, 12), int(day, 'day', 1, 31), 0);
}

/** A time of day as 'HH:MM:SS' text. */
export function dbTime(hour: number, minute: number, second: number): string {
  return `${pad(int(hour, 'hour', 0, 23))}:${pad(int(minute, 'minute', 0, 59))}:${pad(int(second, 'second', 0, 59))}`;
}

/** A timestamp in UTC (month 1–12); `second` may have a fraction (kept to the millisecond). */
export function dbTimestamp(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): globalThis.Date {
  const s = seconds(second, 'second');
  if (s < 0 || s >= 60) throw new DataError(`second must be from 0 to less than 60, got ${s}`, 'DATA');
  const ms =
    (int(hour, 'hour', 0, 23) * 3600 + int(minute, 'minute', 0, 59) * 60) * 1000 + Math.round(s * 1000);
  return utc(int(year, 'year', 1, 9999), int(month, 'month', 1, 12), int(day, 'day', 1, 31), ms);
}

/** The UTC date (midnight) of `ticks` seconds since the epoch. */
export function dateFromTicks(ticks: number): globalThis.Date {
  const d = checked(seconds(ticks, 'ticks') * 1000);
  d.setUTCHours(0, 0, 0, 0);
  return d;
}

/** The UTC time of day of `ticks` seconds since the epoch, as 'HH:MM:SS'. */
export function timeFromTicks(ticks: number): string {
  const d = checked(seconds(ticks, 'ticks') * 1000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The instant `ticks` seconds since the epoch (fractions kept to the millisecond). */
export function timestampFromTicks(ticks: number): globalThis.Date {
  return checked(Math.round(seconds(ticks, 'ticks') * 1000));
}

/** Binary data as a Buffer (a copy): from bytes, an ArrayBuffer, an array of byte values or UTF-8 text. */
export function dbBinary(data: Uint8Array | ArrayBuffer | readonly number[] | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data);
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  if (Array.isArray(data) && data.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    return Buffer.from(data);
  throw new DataError('Binary() needs bytes, an ArrayBuffer, an array of byte values or a string', 'DATA');
}
