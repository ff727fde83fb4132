/**
 * The vocabulary the differential generators share: column and statement shapes, the literal
 * pools (texts chosen to hit case folding, trailing spaces, non-ASCII and astral code points)
 * and literals of each column type as SQL text.
 */
import fc from 'fast-check';

export type ColType = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'BOOLEAN';

export interface Col {
  name: string;
  type: ColType;
  notNull: boolean;
  indexed: boolean;
  /** A UNIQUE index instead of a plain one (then conflicts are exercised too). */
  unique?: boolean;
  /** A declared collation (TEXT columns only). */
  collate?: 'NOCASE' | 'RTRIM';
}

export interface Param {
  /** What SQLite gets (integers as bigint: better-sqlite3 binds JS numbers as REAL). */
  sqlite: unknown;
  /** What ModelVault gets. */
  mv: unknown;
}

export interface Stmt {
  sql: string;
  params: Param[];
  /** SELECT results must match in order (the ORDER BY determines every row's place). */
  ordered: boolean;
  /** `returning`: a write whose RETURNING rows are compared as a multiset, plus rows changed. */
  /** `ddl`: only success or failure is compared (SQLite's changes() is not the DB-API's -1). */
  kind: 'select' | 'write' | 'returning' | 'ddl';
  /** Statements run and compared right after this one (what a DDL statement made, read back). */
  then?: Stmt[];
}

export interface Case {
  cols: Col[];
  inserts: Stmt[];
  stmts: Stmt[];
  /** The table's DDL when a generator builds its own (else createTableSql(cols)). */
  ddl?: string[];
}

export const TEXTS = [
  '',
  'a',
  'A',
  'ab',
  'abc',
  'B',
  'b',
  'ba',
  'z',
  'Zz',
  '10',
  '9',
  'x_y',
  'a%b',
  'é',
  'ü',
  '😀',
  '｡',
];
export const REALS = [-2.5, -1, 0, 0.1, 0.2, 0.3, 0.5, 1.5, 2, 3.25, 10.75, 100];

export function q(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function realLit(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** A literal of a column type, as SQL text. */
export function literalArb(type: ColType): fc.Arbitrary<string> {
  switch (type) {
    case 'INTEGER':
      return fc
        .oneof(
          { weight: 5, arbitrary: fc.integer({ min: -10, max: 20 }) },
          { weight: 1, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }) },
        )
        .map(String);
    case 'REAL':
      return fc.constantFrom(...REALS).map(realLit);
    case 'TEXT':
      return fc.constantFrom(...TEXTS).map(q);
    case 'BLOB':
      return fc.constantFrom('', '00', '01', '0aff', 'ff', '6162').map((h) => `x'${h}'`);
    case 'BOOLEAN':
      return fc.constantFrom('0', '1');
  }
}
