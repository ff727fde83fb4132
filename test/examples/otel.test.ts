/**
 * The OpenTelemetry example (examples/otel): spans from the diagnostics channels through the
 * OpenTelemetry API into the example's in-memory tracer, nested as the calls are, with errors as
 * span status, parameters never recorded, and nothing left subscribed after stop().
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { demo, instrument } from '../../examples/otel/index';
import { InMemoryTracer } from '../../examples/otel/memory-tracer';
import { channels, connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-otel-');
afterAll(() => tmp.cleanup());

test('the demo session becomes spans: open, DDL, an insert with its commit as child, a select, a failed insert', () => {
  const spans = demo(tmp.file()).finished;
  expect(spans.map((s) => s.name)).toEqual([
    'modelvault open',
    'modelvault commit',
    'modelvault createTable',
    'modelvault commit',
    'modelvault insert',
    'modelvault select',
    'modelvault insert',
  ]);
  const [, ddlCommit, ddl, commit, insert, select, failed] = spans;
  expect(ddlCommit.parentSpanId).toBe(ddl.spanId);
  expect(commit.parentSpanId).toBe(insert.spanId);
  expect(commit.traceId).toBe(insert.traceId);
  expect(insert.parentSpanId).toBeNull();
  expect(commit.attributes['modelvault.bytes']).toEqual(expect.any(Number));
  expect(insert.attributes).toMatchObject({
    'db.query.text': 'INSERT INTO users VALUES (?, ?)',
    'db.operation.name': 'insert',
    'modelvault.rows_changed': 1,
  });
  expect(select.attributes).toMatchObject({
    'modelvault.plan': 'Project > PrimaryKeyLookup users',
    'db.response.returned_rows': 1,
  });
  expect(failed.status.code).toBe(SpanStatusCode.ERROR);
  expect(failed.attributes['error.type']).toBe('PRIMARY_KEY');
  expect(failed.events.map((e) => e.name)).toEqual(['exception']);
  // Parameters never reach a span.
  expect(JSON.stringify(spans)).not.toContain('example.com');
  expect(channels.query.hasSubscribers).toBe(false);
});

test('a SELECT span lasts until its rows are read, and ends when the cursor is closed early', () => {
  const tracer = new InMemoryTracer();
  const conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE n (i INTEGER PRIMARY KEY)');
  conn.executeMany('INSERT INTO n VALUES (?)', [[1], [2], [3]]);
  const stop = instrument(tracer);
  try {
    const cur = conn.execute('SELECT i FROM n ORDER BY i');
    expect(tracer.finished).toHaveLength(0); // still open: its rows are not read yet
    cur.fetchOne();
    cur.close();
    expect(tracer.finished).toHaveLength(1);
    expect(tracer.finished[0].attributes).toMatchObject({
      'db.response.returned_rows': 1,
      'modelvault.complete': false,
    });
  } finally {
    stop();
    conn.close();
  }
});

test('checkpoint and compact spans carry their sizes', () => {
  const tracer = new InMemoryTracer();
  const conn = connect(tmp.file(), { autocommit: true });
  conn.execute('CREATE TABLE n (i INTEGER PRIMARY KEY)');
  const stop = instrument(tracer);
  try {
    conn.database.checkpoint();
    conn.database.compact();
  } finally {
    stop();
    conn.close();
  }
  const byName = Object.fromEntries(tracer.finished.map((s) => [s.name, s]));
  expect(byName['modelvault checkpoint'].attributes['modelvault.bytes']).toBeGreaterThan(0);
  expect(byName['modelvault compact inPlace'].attributes['modelvault.bytes_after']).toBeGreaterThan(0);
});
