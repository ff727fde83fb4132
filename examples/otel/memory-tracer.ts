/**
 * A minimal in-memory Tracer for the example and its test: it implements the OpenTelemetry API's
 * Tracer and Span interfaces and keeps finished spans in an array. In an application the
 * OpenTelemetry SDK's tracer (with an exporter) takes its place; nothing else changes.
 */
import { randomBytes } from 'node:crypto';
import { context as otelContext, trace, TraceFlags } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Exception,
  Link,
  Span,
  SpanAttributeValue,
  SpanContext,
  SpanKind,
  SpanOptions,
  SpanStatus,
  TimeInput,
  Tracer,
} from '@opentelemetry/api';

export interface FinishedSpan {
  name: string;
  kind: SpanKind | undefined;
  traceId: string;
  spanId: string;
  /** The parent's spanId; null for a root span. */
  parentSpanId: string | null;
  attributes: Attributes;
  status: SpanStatus;
  events: { name: string; attributes: Attributes }[];
  startMs: number;
  endMs: number;
}

class RecordingSpan implements Span {
  private readonly ctx: SpanContext;
  private ended = false;
  private name: string;
  private readonly attributes: Attributes;
  private status: SpanStatus = { code: 0 };
  private readonly events: { name: string; attributes: Attributes }[] = [];
  private readonly startMs = performance.now();

  constructor(
    private readonly sink: FinishedSpan[],
    name: string,
    private readonly options: SpanOptions,
    private readonly parent: SpanContext | null,
  ) {
    this.name = name;
    this.attributes = { ...(options.attributes ?? {}) };
    this.ctx = {
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: TraceFlags.SAMPLED,
    };
  }

  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: SpanAttributeValue): this {
    if (!this.ended) this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    if (!this.ended) Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(name: string, attributes?: Attributes | TimeInput): this {
    const attrs =
      typeof attributes === 'object' && !(attributes instanceof Date) && !Array.isArray(attributes);
    this.events.push({ name, attributes: attrs ? { ...(attributes as Attributes) } : {} });
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.push({
      name: this.name,
      kind: this.options.kind,
      traceId: this.ctx.traceId,
      spanId: this.ctx.spanId,
      parentSpanId: this.parent?.spanId ?? null,
      attributes: this.attributes,
      status: this.status,
      events: this.events,
      startMs: this.startMs,
      endMs: performance.now(),
    });
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    const e = typeof exception === 'string' ? { message: exception } : exception;
    this.addEvent('exception', {
      'exception.type': String(('name' in e && e.name) || 'Error'),
      'exception.message': String(e.message ?? ''),
    });
  }
}

export class InMemoryTracer implements Tracer {
  /** Spans in the order they ended. */
  readonly finished: FinishedSpan[] = [];

  startSpan(name: string, options: SpanOptions = {}, context: Context = otelContext.active()): Span {
    const parent = options.root ? null : (trace.getSpan(context)?.spanContext() ?? null);
    return new RecordingSpan(this.finished, name, options, parent);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length > 1 ? rest[0] : {}) as SpanOptions;
    const parentCtx = (rest.length > 2 ? rest[1] : otelContext.active()) as Context;
    const span = this.startSpan(name, options, parentCtx);
    return otelContext.with(trace.setSpan(parentCtx, span), () => fn(span)) as ReturnType<F>;
  }
}
