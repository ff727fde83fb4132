/**
 * A streaming CSV reader (RFC 4180: quoted fields may hold commas, quotes doubled, and line
 * breaks; CRLF or LF line ends). Feed it chunks; it hands back each complete record.
 */
export class CsvReader {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  /** Inside quotes; a quote seen there may close them or start a doubled quote. */
  private inQuotes = false;
  private quoteSeen = false;
  private anything = false;

  /** Parse `chunk`; returns the records it completed. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          // falls through: c is the character after the closing quote
        } else if (c === '"') {
          this.quoteSeen = true;
          continue;
        } else {
          this.field += c;
          continue;
        }
      }
      if (c === '"' && this.field === '' && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
        this.anything = true;
      } else if (c === ',') {
        this.endField();
      } else if (c === '\n') {
        this.endRecord(out);
      } else if (c === '\r') {
        // CR of CRLF; a lone CR inside a field is kept by the quoted branch above
      } else {
        this.field += c;
        this.anything = true;
      }
    }
    return out;
  }

  /** The last record when the input does not end with a line break. */
  end(): string[][] {
    if (this.quoteSeen) {
      this.quoteSeen = false;
      this.inQuotes = false;
    }
    const out: string[][] = [];
    if (this.anything || this.record.length > 0) this.endRecord(out);
    return out;
  }

  /** Whether the last field came quoted (a quoted empty field is '' rather than NULL). */
  private endField(): void {
    this.record.push(this.quoted ? `\u0000q${this.field}` : this.field);
    this.field = '';
    this.quoted = false;
    this.anything = true;
  }

  private endRecord(out: string[][]): void {
    this.endField();
    const rec = this.record;
    this.record = [];
    this.anything = false;
    if (rec.length === 1 && rec[0] === '') return; // blank line
    out.push(rec);
  }
}

/** A parsed field's value: unquoted empty is NULL, anything else text. */
export function csvValue(field: string): string | null {
  if (field.startsWith('\u0000q')) return field.slice(2);
  return field === '' ? null : field;
}
