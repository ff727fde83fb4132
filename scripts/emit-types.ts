/**
 * Print TypeScript interfaces for every collection of a database file (see docs/models.md):
 *
 *   npm run types -- app.modelvault [--document] [--safe-integers] [--out types.ts]
 *
 * The file is opened read-only; the generator is emitTypes() in src/models/emit-types.ts.
 */
import * as fs from 'node:fs';
import { Database, emitTypes } from '../src/index';

function main(argv: readonly string[]): number {
  const args = [...argv];
  let out: string | null = null;
  let shape: 'sql' | 'document' = 'sql';
  let safeIntegers = false;
  const files: string[] = [];
  while (args.length) {
    const a = args.shift() as string;
    if (a === '--document') shape = 'document';
    else if (a === '--safe-integers') safeIntegers = true;
    else if (a === '--out') out = args.shift() ?? null;
    else if (a.startsWith('--')) {
      process.stderr.write(`unknown option ${a}\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length !== 1 || (out === null && argv.includes('--out'))) {
    process.stderr.write('usage: npm run types -- <file> [--document] [--safe-integers] [--out <file.ts>]\n');
    return 2;
  }
  if (!fs.existsSync(files[0])) {
    process.stderr.write(`no such file: ${files[0]}\n`);
    return 1;
  }
  const db = Database.open(files[0], { readOnly: true });
  try {
    const text = emitTypes(db, { shape, safeIntegers });
    if (out) fs.writeFileSync(out, text);
    else process.stdout.write(text);
  } finally {
    db.close();
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exitCode = 1;
  }
}
