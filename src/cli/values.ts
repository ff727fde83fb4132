/**
 * How result values are written out: as display text (table mode, the shell), as JSON values
 * (json/jsonl), as CSV fields, and as SQL literals (dump). Values come from cursors opened with
 * `safeIntegers`, so integers arrive as bigint and none loses precision on the way out.
 */
import { sqliteRealText } from '../../planner/real-text';

/** Display text of a value in table mode; null is `NULL`. */
export function displayText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return sqliteRealText(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return `X'${Buffer.from(v).toString('hex').toUpperCase()}'`;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(toJson(v));
}

/**
 * A JSON-safe rendering: integers as numbers while they are exact, as strings beyond 2^53;
 * blobs as `{"$base64": "…"}` (what `import` reads back); dates as ISO text; non-finite reals as
 * the strings "Infinity", "-Infinity", "NaN".
 */
export function toJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return { $base64: Buffer.from(v).toString('base64') };
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toJson(x);
    return out;
  }
  return v;
}

/** One CSV field (RFC 4180): NULL is empty, blobs are hex, quotes when needed. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const text =
    v instanceof Uint8Array
      ? Buffer.from(v).toString('hex')
      : typeof v === 'number'
        ? exactRealText(v)
        : typeof v === 'object' && !(v instanceof Date)
          ? JSON.stringify(toJson(v))
          : displayText(v);
  // An empty string is quoted so that it reads back as '' and not as NULL.
  return text === '' || /[",\r\n]/.test(text) || text !== text.trim()
    ? `"${text.split('"').join('""')}"`
    : text;
}

export type Dialect = 'sqlite' | 'postgres';

/**
 * A value as an SQL literal that loads back as the same value. Reals use JavaScript's shortest
 * round-trip digits (always with a `.` or exponent, so they stay REAL); blobs are `X'…'` in
 * SQLite and `'\x…'::bytea` in PostgreSQL; lists and objects are JSON text.
 */
export function sqlLiteralOf(v: unknown, dialect: Dialect): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return dialect === 'postgres' ? (v ? 'TRUE' : 'FALSE') : v ? '1' : '0';
  if (typeof v === 'number') return realLiteral(v, dialect);
  if (typeof v === 'string') return quoteText(v);
  if (v instanceof Uint8Array) {
    const hex = Buffer.from(v).toString('hex');
    return dialect === 'postgres' ? `'\\x${hex}'::bytea` : `X'${hex.toUpperCase()}'`;
  }
  if (v instanceof Date) return quoteText(v.toISOString());
  return quoteText(JSON.stringify(toJson(v)));
}

function quoteText(s: string): string {
  return `'${s.split("'").join("''")}'`;
}

/** JavaScript's shortest digits that read back as exactly `v`, always marked as a real. */
export function exactRealText(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (Object.is(v, -0)) return '-0.0';
  const text = String(v);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function realLiteral(v: number, dialect: Dialect): string {
  if (Number.isNaN(v)) return 'NULL';
  if (!Number.isFinite(v)) {
    if (dialect === 'postgres') return v > 0 ? "'Infinity'::float8" : "'-Infinity'::float8";
    return v > 0 ? '9e999' : '-9e999';
  }
  return exactRealText(v);
}

/** A name as a double-quoted SQL identifier (valid in SQLite and PostgreSQL alike). */
export function quoteName(name: string): string {
  return `"${name.split('"').join('""')}"`;
}
