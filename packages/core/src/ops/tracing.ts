import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Attributes,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { OutgoingRecord } from '../kafka/types.js';

/** The record headers that carry the W3C trace context from hop to hop. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** How a process traces, from the environment (`OTEL_*`, README, Configuration). */
export interface TracingSettings {
  /** `service.name` of the spans. */
  service: string;
  /** `none` records nothing (trace headers are still passed on); `otlp` exports over HTTP. */
  exporter: 'none' | 'otlp';
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint: string;
}

/** Options of one span. */
export interface SpanOptions {
  /** Headers of the record the span works on: its trace context becomes the parent. */
  parent?: Readonly<Record<string, string>>;
  /** @default 'internal' */
  kind?: 'producer' | 'consumer' | 'server' | 'client' | 'internal';
  /** Epoch ms (fractions allowed). @default now */
  startTimeMs?: number;
  attributes?: Attributes;
  /** Headers of other records the span relates to (e.g. the other predictions a decision joins). */
  links?: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** A started span, as the services see it. */
export interface TraceSpan {
  /**
   * The headers carrying this span's context, to set on the record it leads to. With
   * tracing off, the parent's trace headers as they came, so a trace is not cut by a
   * service that does not record.
   */
  readonly headers: Record<string, string>;
  /** Marks the span failed with `err`. */
  fail(err: unknown): void;
  /** Ends the span. `endTimeMs`: epoch ms. @default now */
  end(endTimeMs?: number): void;
}

/** A process's tracing: spans per record, parented by the trace context of record headers. */
export interface Tracing {
  /** Whether spans are recorded (an exporter is configured). */
  readonly enabled: boolean;
  span(name: string, options?: SpanOptions): TraceSpan;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

const KINDS = {
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
} as const;

/** Epoch ms with sub-millisecond precision, for span times. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The trace headers among `headers` (none when absent). */
export function traceHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name of TRACE_HEADERS) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

const nothing = (): void => undefined;

// Made for every ride and request: one pair of shared no-ops, no new closures per span.
const passThrough = (parent: Readonly<Record<string, string>> | undefined): TraceSpan => ({
  headers: traceHeaders(parent),
  fail: nothing,
  end: nothing,
});

/** Tracing that records nothing and passes trace headers on. */
export const noTracing: Tracing = {
  enabled: false,
  span: (_name, options) => passThrough(options?.parent),
  shutdown: async () => undefined,
};

/**
 * The tracing of a process: with an exporter (OTLP over HTTP from the settings, or
 * `spanExporter`, which tests give, exporting span by span), spans are recorded under
 * `service.name` and their context is propagated in W3C `traceparent` headers. A span whose
 * parent headers carry no context starts a trace; one whose parent was not sampled is not
 * recorded (parent-based sampling). Nothing is registered globally: several processes
 * composed in one test each have their own.
 */
export function createTracing(settings: TracingSettings, spanExporter?: SpanExporter): Tracing {
  if (!spanExporter && settings.exporter === 'none') return noTracing;
  const processor = spanExporter
    ? new SimpleSpanProcessor(spanExporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.service }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('@fleet/core');
  return {
    enabled: true,
    span: (name, options = {}) => startSpan(tracer, name, options),
    shutdown: () => provider.shutdown(),
  };
}

const propagator = new W3CTraceContextPropagator();

function contextOf(headers: Readonly<Record<string, string>> | undefined) {
  return headers ? propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter) : ROOT_CONTEXT;
}

function startSpan(tracer: Tracer, name: string, options: SpanOptions): TraceSpan {
  const links: Link[] = [];
  for (const headers of options.links ?? []) {
    const context = trace.getSpanContext(contextOf(headers));
    if (context) links.push({ context });
  }
  const span: Span = tracer.startSpan(
    name,
    { kind: KINDS[options.kind ?? 'internal'], startTime: options.startTimeMs, attributes: options.attributes, links },
    contextOf(options.parent),
  );
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
  return {
    headers,
    fail(err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    },
    end: (endTimeMs) => span.end(endTimeMs),
  };
}

/**
 * Starts one `produce <topic>` span per outgoing record that carries a trace context, as
 * its child, and puts the span's context on the record in its place, so the consumer of the
 * record continues the trace from the send. Call the returned function once the broker
 * acknowledged the records (or failed to).
 */
export function traceProduce(
  tracing: Tracing,
  outputs: ReadonlyArray<{ topic: string; records: OutgoingRecord[] }>,
): (err?: unknown) => void {
  if (!tracing.enabled) return () => undefined;
  const spans: TraceSpan[] = [];
  for (const { topic, records } of outputs) {
    records.forEach((record, i) => {
      if (record.headers?.traceparent === undefined) return;
      const span = tracing.span(`produce ${topic}`, {
        parent: record.headers,
        kind: 'producer',
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
          ...(typeof record.key === 'string' ? { 'messaging.kafka.message.key': record.key } : {}),
        },
      });
      records[i] = { ...record, headers: { ...record.headers, ...span.headers } };
      spans.push(span);
    });
  }
  return (err) => {
    const at = nowMs();
    for (const span of spans) {
      if (err !== undefined) span.fail(err);
      span.end(at);
    }
  };
}
