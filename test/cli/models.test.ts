/**
 * `modelvault types` and `modelvault migrate plan|apply` against real files and a real models
 * module (CommonJS, requiring the built package the way an application's build would).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { cli } from './cli-helper';

const tmp = tmpDir('mv-cli-models-');
afterAll(() => tmp.cleanup());
const DIST = path.join(__dirname, '..', '..', 'dist', 'src', 'index.js');

function modelsModule(fields: string): string {
  const file = path.join(tmp.dir, `models-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(
    file,
    `const { model, t } = require(${JSON.stringify(DIST)});\n` +
      `exports.users = model('users', { ${fields} }, { primaryKey: 'id', indexes: [t.unique('email')] });\n` +
      `exports.notAModel = 42;\n`,
  );
  return file;
}

describe('modelvault migrate and types', () => {
  test('apply creates the collection, plan classifies a change with row counts, force backfills nothing silently', () => {
    const db = tmp.file();
    const v1 = modelsModule('id: t.int64(), email: t.string().email(), nick: t.string().optional()');
    expect(cli(['migrate', 'apply', db, v1])).toEqual({
      code: 0,
      stdout: 'users: applied (compatible, 1 step)\n',
      stderr: '',
    });
    expect(cli(['migrate', 'plan', db, v1])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^users: unchanged/),
    });
    expect(cli(['sql', db, "INSERT INTO users (id, email) VALUES (1, 'a@b.co'), (2, 'c@d.co')"]).code).toBe(
      0,
    );

    // A required field without a default: needs a migration, and two rows need a value.
    const v2 = modelsModule(
      'id: t.int64(), email: t.string().email(), nick: t.string().optional(), age: t.int64()',
    );
    const planned = cli(['migrate', 'plan', db, v2]);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain('users: needsMigration (schema version 1, 2 rows)');
    expect(planned.stdout).toMatch(/needsMigration addRequiredField age: .*\(0 violating, 2 need a value\)/);
    const json = JSON.parse(cli(['migrate', 'plan', db, v2, '--json']).stdout) as {
      classification: string;
    }[];
    expect(json.map((p) => p.classification)).toEqual(['needsMigration']);
    // Applying it, even forced, is refused while rows lack the value: nothing changes.
    for (const args of [[], ['--force']]) {
      const r = cli(['migrate', 'apply', db, v2, ...args]);
      expect(r.code).toBe(1);
      // Without force: the change needs a migration; with it: the rows do not fit yet.
      expect(r.stderr).toMatch(
        args.length
          ? /^modelvault: ValidationError VALIDATION: users: rows do not fit/
          : /^modelvault: SchemaError SCHEMA: users: /,
      );
    }
    expect(cli(['sql', db, 'SELECT count(*) FROM users', '--format', 'jsonl']).stdout).toBe(
      '{"count(*)":2}\n',
    );

    // Adding an optional field is compatible and applies without force.
    const v3 = modelsModule(
      'id: t.int64(), email: t.string().email(), nick: t.string().optional(), age: t.int64().optional()',
    );
    expect(cli(['migrate', 'apply', db, v3]).stdout).toBe('users: applied (compatible, 1 step)\n');

    const types = cli(['types', db]);
    expect(types.code).toBe(0);
    expect(types.stdout).toContain('export interface UsersRow {');
    expect(types.stdout).toMatch(/age: number \| null;/);
    expect(cli(['types', db, '--bigint']).stdout).toMatch(/id: bigint;/);
  });

  test('a module without models, or one that does not load, is a usage error', () => {
    const db = tmp.file();
    const empty = path.join(tmp.dir, 'empty.js');
    fs.writeFileSync(empty, 'exports.x = 1;\n');
    expect(cli(['migrate', 'plan', db, empty])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('exports no models'),
    });
    expect(cli(['migrate', 'apply', db, path.join(tmp.dir, 'missing.js')])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot load models'),
    });
  });
});
