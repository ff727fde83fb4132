/**
 * Fuzz every decode surface of a database file (header, superblocks, checkpoint, catalog and
 * record frames): random byte mutations anywhere must either open (autoTruncate) or fail with
 * FormatError — never another exception, never a hang or an unbounded allocation. Queries on a
 * file that opened must also fail cleanly or succeed. Seeded; MV_FUZZ_RUNS for longer runs.
 */
import fc from 'fast-check';
import { Database, FormatError, ModelVaultError } from '../../src/index';
import { Engine } from '../../storage/engine';
import { MemoryStore } from '../../storage/memory-store';

const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 600);

function sampleFile(): Buffer {
  const db = Database.openInMemory();
  db.registerCollection(
    'u',
    [
      { path: 'id', type: 'int64' },
      { path: 'name', type: 'string' },
      { path: ['p', 'tz'], type: { optional: 'string' } },
      { path: 'tags', type: { list: 'string' } },
    ],
    'id',
    [{ name: 'u_name', path: 'name', kind: 'unique' }],
  );
  db.transaction(() => {
    for (let i = 0; i < 40; i++)
      db.insert('u', { id: i, name: `n${i}`, p: { tz: i % 2 ? 'UTC' : null }, tags: ['a'] });
  });
  db.checkpoint();
  db.delete('u', 3);
  db.insert('u', { id: 100, name: 'late', p: { tz: null }, tags: [] });
  const bytes = db.storage.bytes();
  db.close();
  return bytes;
}

describe('file decode fuzz', () => {
  const base = sampleFile();

  test(`random byte mutations anywhere (${RUNS})`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (edits, strict) => {
          const bytes = Buffer.from(base);
          for (const [at, x] of edits) bytes[at % bytes.length] ^= x;
          let engine: Engine | null = null;
          try {
            engine = Engine.openStore(new MemoryStore(bytes), {
              recovery: strict ? 'strict' : 'autoTruncate',
            });
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
            return;
          }
          // Whatever opened must answer queries or fail with a library error.
          const db = Database.openSnapshotBytes(engine.bytes());
          engine.close();
          try {
            for (const name of db.collectionNames()) db.collection(name).all();
          } catch (err) {
            expect(err).toBeInstanceOf(ModelVaultError);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: RUNS, seed: 4 },
    );
  });

  test('truncation at random lengths never throws anything but FormatError', () => {
    fc.assert(
      fc.property(fc.nat({ max: base.length }), (len) => {
        try {
          Engine.openStore(new MemoryStore(base.subarray(0, len)), { recovery: 'autoTruncate' }).close();
        } catch (err) {
          expect(err).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
