// Child process for schema-version crash tests (test/models/migrate-crash.test.ts); runs the
// built package.
//   node migrate-child.js backfill <file>   backfill 'profile.lang' in batches of 50, print "B <done>" after each
//   node migrate-child.js versions <file>   register versions adding one optional field each, print "V <version>"
'use strict';
const { Database } = require('../../dist/src/index.js');

const [mode, file] = process.argv.slice(2);
const db = Database.open(file);

if (mode === 'backfill') {
  db.backfill('users', 'profile.lang', (row) => `lang-${row.id}`, {
    batchSize: 50,
    onProgress: (p) => process.stdout.write(`B ${p.done}\n`),
  });
  process.stdout.write('done\n');
  setInterval(() => {}, 1000);
} else if (mode === 'versions') {
  const state = db.storage.collection('users');
  const fields = state.meta.schema.fields.map((f) => ({ path: f.path, type: toDescriptor(f.type) }));
  for (let i = 0; ; i++) {
    fields.push({ path: `f${i}`, type: { optional: 'int64' } });
    const r = db.registerSchemaVersion('users', { fields });
    process.stdout.write(`V ${r.schemaVersion}\n`);
  }
}

function toDescriptor(t) {
  if (t.kind === 'optional') return { optional: toDescriptor(t.of) };
  if (t.kind === 'object')
    return { object: t.fields.map((f) => ({ path: f.path, type: toDescriptor(f.type) })) };
  if (t.kind === 'list') return { list: toDescriptor(t.of) };
  if (t.kind === 'enum') return { enum: t.values };
  return t.kind;
}
