/**
 * emitTypes() and `npm run types`: interfaces for every collection of the catalog, and the
 * emitted source type-checks against the rows the database really returns.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as ts from 'typescript';
import { Database, connect, emitTypes, model, t } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-emit-');
afterAll(() => tmp.cleanup());

const root = path.join(__dirname, '..', '..');

function fill(db: Database): void {
  db.register(
    model(
      'users',
      {
        id: t.int64(),
        email: t.string(),
        profile: t.object({ timezone: t.string().optional() }),
        tags: t.list(t.string()),
        status: t.enum(['active', 'banned']),
        avatar: t.bytes().optional(),
        createdAt: t.timestamp(),
      },
      { primaryKey: 'id' },
    ),
  );
  db.registerCollection(
    'order-items',
    [
      { path: 'sku', type: 'string' },
      { path: 'meta.colour', type: { optional: 'string' } },
      { path: 'qty', type: 'float64' },
    ],
    'sku',
  );
}

/** Type-check `source` (strict); the diagnostics as text, empty when it compiles. */
function typecheck(dir: string, source: string): string {
  const file = path.join(dir, 'check.ts');
  // Buffer stands in for @types/node, whose loading would cost seconds per check.
  fs.writeFileSync(file, `declare class Buffer extends Uint8Array {}\n${source}`);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    types: [],
    lib: ['lib.es2022.d.ts'],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    .join('\n');
}

test('SQL shape: one interface per collection, keyed by column label', () => {
  const db = Database.openInMemory();
  fill(db);
  const text = emitTypes(db);
  expect(text).toContain('export interface OrderItemsRow {');
  expect(text).toContain('  "meta.colour": string | null;');
  expect(text).toContain('export interface UsersRow {');
  expect(text).toContain('  status: "active" | "banned";');
  expect(text).toContain('  avatar: Buffer | null;');
  expect(text).toContain('  createdAt: Date;');
  expect(text.indexOf('OrderItemsRow')).toBeLessThan(text.indexOf('UsersRow'));
  expect(emitTypes(db, { safeIntegers: true })).toContain('  id: bigint;');
  db.close();
});

test('document shape nests paths as db.get() returns them, and type-checks with real rows', () => {
  const dir = tmp.dir;
  const db = Database.openInMemory();
  fill(db);
  db.insert('order-items', { sku: 'a', meta: { colour: null }, qty: 2 });
  const text = emitTypes(db, { shape: 'document' });
  expect(text).toContain('  meta: {\n    colour: string | null;\n  };');
  expect(text).toContain('  profile: {\n    timezone: string | null;\n  };');
  expect(text).toContain('  tags: string[];');
  const row = db.get('order-items', 'a');
  const check = `${text}\nconst row: OrderItemsRow = ${JSON.stringify(row)};\nexport { row };\n`;
  expect(typecheck(dir, check)).toBe('');
  // A wrong row does not compile against the emitted interface.
  expect(
    typecheck(dir, `${text}\nexport const bad: OrderItemsRow = { sku: 1, meta: {}, qty: 2 };\n`),
  ).not.toBe('');
  db.close();
});

test('SELECT * rows under rowMode object fit the emitted SQL interface', () => {
  const conn = connect(':memory:', { rowMode: 'object' });
  fill(conn.database);
  conn.execute('INSERT INTO "order-items" (sku, "meta.colour", qty) VALUES (\'b\', \'red\', 1.5)');
  const text = emitTypes(conn.database, { collections: ['order-items'] });
  expect(text).not.toContain('UsersRow');
  const row = conn.execute('SELECT * FROM "order-items"').fetchOne();
  expect(row).toEqual({ sku: 'b', 'meta.colour': 'red', qty: 1.5 });
  expect(typecheck(tmp.dir, `${text}\nexport const r: OrderItemsRow = ${JSON.stringify(row)};\n`)).toBe('');
  conn.close();
});

test('npm run types script prints the interfaces of a file and fails cleanly on a missing one', () => {
  const dir = tmp.dir;
  const file = path.join(dir, 'app.modelvault');
  const db = Database.open(file);
  fill(db);
  db.close();
  const script = path.join(root, 'dist', 'scripts', 'emit-types.js');
  const res = spawnSync(process.execPath, [script, file, '--document'], { encoding: 'utf8' });
  expect(res.status).toBe(0);
  expect(res.stdout).toContain('export interface UsersRow {');
  const missing = spawnSync(process.execPath, [script, path.join(dir, 'nope.modelvault')], {
    encoding: 'utf8',
  });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('no such file');
  const usage = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
});

test('SQL views get an interface of their result columns; rows of SELECT * fit it', () => {
  const conn = connect(':memory:', { rowMode: 'object', autocommit: true });
  try {
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b REAL, at TIMESTAMP)');
    conn.execute("INSERT INTO t VALUES (1, 'x', NULL, '2024-01-01T00:00:00.000Z')");
    conn.execute("CREATE VIEW named_v AS SELECT id, a || '!' AS shout, b, count(*) AS n FROM t GROUP BY id");
    conn.execute('CREATE VIEW t_copy AS SELECT * FROM t');
    const text = emitTypes(conn.database);
    expect(text).toContain(
      // A view's columns are nullable as far as the planner knows (it does not track NOT NULL through views).
      '/** View "named_v". */\nexport interface NamedVRow {\n  id: number | null;\n  shout: string | null;\n  b: number | null;\n  n: number | null;\n}\n',
    );
    expect(text).toContain('/** View "t_copy". */\nexport interface TCopyRow {');
    expect(text.indexOf('interface TRow')).toBeLessThan(text.indexOf('interface NamedVRow'));
    expect(emitTypes(conn.database, { safeIntegers: true })).toContain('  n: bigint | null;');
    expect(emitTypes(conn.database, { collections: ['t_copy'] })).not.toContain('NamedVRow');
    const row = conn.execute('SELECT * FROM named_v').fetchOne();
    expect(row).toEqual({ id: 1, shout: 'x!', b: null, n: 1 });
    expect(typecheck(tmp.dir, `${text}\nexport const r: NamedVRow = ${JSON.stringify(row)};\n`)).toBe('');
    expect(
      typecheck(tmp.dir, `${text}\nexport const bad: NamedVRow = { id: 1, shout: 2, b: null, n: 1 };\n`),
    ).not.toBe('');
  } finally {
    conn.close();
  }
});
