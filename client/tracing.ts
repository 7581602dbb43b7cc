/**
 * OpenTelemetry, when the application has it: `@opentelemetry/api` is an optional peer dependency, imported on first
 * use and never required. With it, every request carries the active span's W3C trace context (`traceparent`,
 * `tracestate`) as the application's propagator writes it, so the store keeps it with the events an append writes
 * (SPEC section 14); and the SQS subscriber and the feed subscription run each handler in a span that is a child of
 * the trace context the event was appended in. Without it (or without a registered SDK) all of this costs a failed
 * import once, and does nothing.
 */
type OpenTelemetryApi = typeof import("@opentelemetry/api");

let loaded: Promise<OpenTelemetryApi | undefined> | undefined;

function openTelemetry(): Promise<OpenTelemetryApi | undefined> {
  loaded ??= import("@opentelemetry/api").then(
    (api) => api,
    () => undefined,
  );
  return loaded;
}

/** The names of the W3C Trace Context headers (and of the message attributes that carry them). */
const traceHeaderNames = ["traceparent", "tracestate"] as const;

/** An event's trace context, as the store returns it and notifications carry it. */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** The active context's `traceparent` and `tracestate`, as the registered propagator writes them; {} when none. */
export async function activeTraceHeaders(): Promise<Record<string, string>> {
  const api = await openTelemetry();
  if (!api) return {};
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier);
  const headers: Record<string, string> = {};
  for (const name of traceHeaderNames) if (carrier[name] !== undefined) headers[name] = carrier[name];
  return headers;
}

/** What a handler's span says about the event it handles (OpenTelemetry's messaging conventions, where they fit). */
export interface HandledEvent {
  streamType: string;
  streamId: string;
  revision: number;
  eventType: string;
  eventId: string;
  /** The event's place in the global feed, for the feed subscription. */
  position?: number;
}

/**
 * Runs `handle` in a span `process <streamType>` (kind consumer), a child of the trace context the event was
 * appended in when it has one (else of the active context); the span records the handler's error and ends with it.
 */
export async function inHandlerSpan<T>(
  event: HandledEvent,
  carrier: TraceCarrier,
  handle: () => Promise<T>,
): Promise<T> {
  const api = await openTelemetry();
  if (!api) return handle();
  const active = api.context.active();
  const parent = carrier.traceparent ? api.propagation.extract(active, carrier) : active;
  const tracer = api.trace.getTracer("serverless-event-store-ts/client");
  const attributes = {
    "messaging.operation.type": "process",
    "messaging.destination.name": event.streamType,
    "messaging.message.id": event.eventId,
    "event_store.stream_id": event.streamId,
    "event_store.revision": event.revision,
    "event_store.event_type": event.eventType,
    ...(event.position !== undefined ? { "event_store.position": event.position } : {}),
  };
  const options = { kind: api.SpanKind.CONSUMER, attributes };
  return tracer.startActiveSpan(`process ${event.streamType}`, options, parent, async (span) => {
    try {
      return await handle();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
      throw error;
    } finally {
      span.end();
    }
  });
}
