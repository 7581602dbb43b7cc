// W3C trace context from the writer to every reader and subscriber (SPEC section 14), against real local mode:
// the API behind the local function-URL server, DynamoDB Local, the change feed that notifies and indexes the
// feed, the operations worker that replays and redrives; and the client with OpenTelemetry's SDK registered.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import { SQSClient } from "@aws-sdk/client-sqs";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { type Notification, openLocalQueue } from "#local/subscription.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { eventually } from "#test/local/support.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { EventStoreClient, type FeedEvent, subscribe as subscribeToQueue } from "../../client/index.ts";

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const tracestate = "vendor=opaque,other=1";
const traced = { traceparent, tracestate };

describe("trace context from the append to every reader and subscriber", () => {
  let local: LocalMode;
  let server: HttpServer;
  let notifications: TestNotifications;
  before(async () => {
    local = await composeLocalMode({
      dynamoDbEndpoint: testDynamoDb().endpoint,
      tableName: "trace-context-test",
      operations: { redriveIntervalMs: 200, eventsPerStep: 100 },
    });
    server = await startHttpServer({ port: 0, handler: local.api });
    notifications = await testNotificationsAt(local.notifications.endpoint);
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as any };
  };
  const event = (eventType = "Happened", eventId?: string) => ({
    eventType,
    payload: { n: 1 },
    metadata: { who: "test" },
    ...(eventId ? { eventId } : {}),
  });
  const readEvents = async (streamType: string, streamId: string) =>
    (await call("GET", `/streams/${streamType}/${streamId}/events`)).json.eventPage.events as any[];

  it("keeps an append's traceparent and tracestate with each event, apart from its metadata", async () => {
    const streamType = uniqueStreamType("traced");
    const streamId = randomUUID();

    const appended = await call(
      "POST",
      `/streams/${streamType}/${streamId}/events`,
      { expectedRevision: "no-stream", events: [event(), event()] },
      traced,
    );
    const untraced = await call("PUT", `/streams/${streamType}/${streamId}/events/3`, { event: event() });

    assert.equal(appended.status, 201);
    assert.equal(untraced.status, 201);
    const events = await readEvents(streamType, streamId);
    assert.deepEqual(
      events.map((e) => [e.traceparent, e.tracestate]),
      [
        [traceparent, tracestate],
        [traceparent, tracestate],
        [undefined, undefined],
      ],
    );
    assert.deepEqual(events[0].metadata, { who: "test" });
  });

  it("keeps it on a stream's creation, the single-revision append, multi-stream and DCB appends", async () => {
    const streamType = uniqueStreamType("traced-kinds");
    const created = await call("POST", `/streams/${streamType}`, { initialEvent: event() }, { traceparent });
    const { streamId } = created.json.stream;
    const atRevision = await call("PUT", `/streams/${streamType}/${streamId}/events/2`, { event: event() }, traced);
    const other = randomUUID();
    const many = await call(
      "POST",
      "/appends",
      {
        appends: [
          { streamType, streamId, expectedRevision: 2, events: [event()] },
          { streamType, streamId: other, expectedRevision: "no-stream", events: [event()] },
        ],
      },
      traced,
    );
    const tag = `course:${randomUUID()}`;
    const dcb = await call("POST", "/dcb/append", { events: [{ ...event("CourseDefined"), tags: [tag] }] }, traced);

    assert.deepEqual([created.status, atRevision.status, many.status, dcb.status], [201, 201, 201, 201]);
    const events = await readEvents(streamType, streamId);
    assert.deepEqual(
      events.map((e) => e.traceparent),
      [traceparent, traceparent, traceparent],
    );
    assert.deepEqual(
      events.map((e) => e.tracestate),
      [undefined, tracestate, tracestate],
    );
    assert.equal((await readEvents(streamType, other))[0].tracestate, tracestate);
    const dcbRead = await call("POST", "/dcb/read", { query: { items: [{ tags: [tag] }] } });
    assert.equal(dcbRead.json.dcbPage.events[0].traceparent, traceparent);
  });

  it("a retry with another trace context is the same event, and keeps the first one's", async () => {
    const streamType = uniqueStreamType("traced-retry");
    const streamId = randomUUID();
    const body = { expectedRevision: "no-stream", events: [event("Happened", randomUUID())] };
    const retryParent = "00-11111111111111111111111111111111-2222222222222222-01";

    const first = await call("POST", `/streams/${streamType}/${streamId}/events`, body, traced);
    const retry = await call("POST", `/streams/${streamType}/${streamId}/events`, body, { traceparent: retryParent });

    assert.deepEqual([first.status, retry.status], [201, 201]);
    assert.deepEqual(retry.json, first.json);
    const events = await readEvents(streamType, streamId);
    assert.equal(events.length, 1);
    assert.equal(events[0].traceparent, traceparent);
  });

  it("refuses a trace context that is not W3C's with a 400 naming the header, and writes nothing", async () => {
    const streamType = uniqueStreamType("traced-bad");
    const bad: Record<string, string>[] = [
      { traceparent: "not-a-traceparent" },
      { traceparent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01" }, // upper case
      { traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" }, // zero trace id
      { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01" }, // zero parent id
      { traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }, // forbidden version
      { traceparent: `${traceparent}-extra` }, // version 00 has exactly four fields
      { traceparent, tracestate: "x".repeat(513) },
      { traceparent, tracestate: "vendor=é" },
    ];
    for (const headers of bad) {
      const streamId = randomUUID();
      const answer = await call(
        "POST",
        `/streams/${streamType}/${streamId}/events`,
        { expectedRevision: "any", events: [event()] },
        headers,
      );
      assert.equal(answer.status, 400, JSON.stringify(headers));
      const field = headers.tracestate ? "tracestate" : "traceparent";
      assert.match(answer.json.errors[field][0], /W3C/);
      assert.equal((await call("GET", `/streams/${streamType}/${streamId}/events`)).status, 404);
    }
    // A later version may carry more fields (W3C: keep what is not understood).
    const later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future";
    const accepted = await call(
      "POST",
      `/streams/${streamType}/${randomUUID()}/events`,
      { expectedRevision: "any", events: [event()] },
      { traceparent: later },
    );
    assert.equal(accepted.status, 201);
  });

  it("the feed, with payloads and without, shows each event's trace context", async () => {
    const streamType = uniqueStreamType("traced-feed");
    const streamId = randomUUID();
    await call(
      "POST",
      `/streams/${streamType}/${streamId}/events`,
      { expectedRevision: "any", events: [event()] },
      traced,
    );
    await call("POST", `/streams/${streamType}/${streamId}/events`, { expectedRevision: "any", events: [event()] });

    for (const payload of ["", "&payload=include"]) {
      let events: any[] = [];
      await eventually(async () => {
        events = (await call("GET", `/feed?after=0&stream-type=${streamType}${payload}`)).json.feedPage.events;
        return events.length === 2;
      }, 15_000);
      assert.equal(events.length, 2, payload);
      assert.deepEqual(
        events.map((e) => [e.traceparent, e.tracestate]),
        [
          [traceparent, tracestate],
          [undefined, undefined],
        ],
      );
    }
  });

  it("notifications carry it as message attributes; replays and redrives keep it", async () => {
    const streamType = uniqueStreamType("traced-notified");
    const streamId = randomUUID();
    const subscriber = await notifications.subscribedQueue({ streamType: [streamType] });
    await call(
      "POST",
      `/streams/${streamType}/${streamId}/events`,
      { expectedRevision: "any", events: [event()] },
      traced,
    );

    const [live] = await notifications.receive(subscriber, 1, 10_000);
    assert.equal(live?.attributes.traceparent, traceparent);
    assert.equal(live?.attributes.tracestate, tracestate);

    const target = await openLocalQueue({ endpoint: local.notifications.endpoint, namePrefix: "traced-replay" });
    const replay = await call("POST", "/replays", { streamType, target: { queueUrl: target.queueUrl } });
    assert.equal(replay.status, 202);
    const [replayed] = await notifications.receive(target, 1, 15_000);
    assert.equal(replayed?.attributes.replayId, replay.json.id);
    assert.equal(replayed?.attributes.traceparent, traceparent);
    assert.equal(replayed?.attributes.tracestate, tracestate);
    await target.close();

    // What the change feed records when SNS stays down, redriven by the timer.
    const store = new StreamStore({
      client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)),
      tableName: "trace-context-test",
    });
    const since = new Date().toISOString();
    await store.recordUndelivered([{ streamId, streamType, firstRevision: 1, lastRevision: 1, cause: "test", since }]);
    const redriven: Notification[] = [];
    await eventually(async () => {
      redriven.push(...(await subscriber.receive()).filter(({ attributes }) => attributes.redrive === "true"));
      return redriven.length >= 1;
    }, 10_000);
    assert.equal(redriven[0]?.attributes.traceparent, traceparent);
    await subscriber.close();
  });

  describe("the client with OpenTelemetry", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager();
    before(() => {
      context.setGlobalContextManager(contextManager.enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(provider);
    });
    after(() => {
      trace.disable();
      propagation.disable();
      context.disable();
    });
    afterEach(() => exporter.reset());

    it("sends the active span's context with an append, and a feed subscriber's handler span is its child", async () => {
      const client = new EventStoreClient({ url: server.url, auth: "none" });
      const streamType = uniqueStreamType("otel");
      const tracer = trace.getTracer("test");

      const { writerSpan, streamId } = await tracer.startActiveSpan("place order", async (span) => {
        const created = await client.createStream(streamType, { eventType: "OrderPlaced", payload: { total: 1 } });
        span.end();
        return { writerSpan: span.spanContext(), streamId: created.streamId };
      });
      const untracedStreamId = (await client.createStream(streamType, { eventType: "OrderPlaced", payload: {} }))
        .streamId;

      const [stored] = (await client.readEventPage(streamType, streamId)).events;
      assert.equal(stored?.traceparent, `00-${writerSpan.traceId}-${writerSpan.spanId}-01`);
      const [untraced] = (await client.readEventPage(streamType, untracedStreamId)).events;
      assert.equal(untraced?.traceparent, undefined);

      const handled: FeedEvent[] = [];
      const subscription = client.subscribe({
        from: 0,
        streamTypes: [streamType],
        waitSeconds: 1,
        handler: (event) => {
          handled.push(event);
        },
      });
      await eventually(async () => handled.length === 2, 15_000);
      await subscription.stop();

      const spans = exporter.getFinishedSpans().filter((span) => span.name === `process ${streamType}`);
      assert.equal(spans.length, 2);
      const [child, root] = spans;
      assert.equal(child?.kind, SpanKind.CONSUMER);
      assert.equal(child?.spanContext().traceId, writerSpan.traceId);
      assert.equal(child?.parentSpanContext?.spanId, writerSpan.spanId);
      assert.equal(child?.attributes["event_store.stream_id"], streamId);
      // An event appended outside any span starts a trace of its own.
      assert.notEqual(root?.spanContext().traceId, writerSpan.traceId);
      assert.equal(root?.parentSpanContext, undefined);
    });

    it("the SQS subscriber runs its handler in a child span of the event's trace context, and records a failure", async () => {
      const streamType = uniqueStreamType("otel-sqs");
      const subscriber = await notifications.subscribedQueue({ streamType: [streamType] });
      await call(
        "POST",
        `/streams/${streamType}/${randomUUID()}/events`,
        { expectedRevision: "any", events: [event()] },
        traced,
      );
      const stop = new AbortController();
      let attempts = 0;
      const sqsClient = new SQSClient(localAwsClientConfig(local.notifications.endpoint));
      const running = subscribeToQueue(
        subscriber.queueUrl,
        (notification) => {
          // The first delivery fails: its span records the error; the message comes back and succeeds.
          if (attempts++ === 0) throw new Error("read model is down");
          assert.equal(notification.traceparent, traceparent);
          stop.abort();
        },
        { signal: stop.signal, sqsClient, waitTimeSeconds: 1, visibilityTimeoutSeconds: 1, onError: () => {} },
      );
      await running;
      await subscriber.close();

      const spans = exporter.getFinishedSpans().filter((span) => span.name === `process ${streamType}`);
      assert.equal(spans.length, 2);
      for (const span of spans) {
        assert.equal(span.spanContext().traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert.equal(span.parentSpanContext?.spanId, "00f067aa0ba902b7");
        assert.equal(span.spanContext().traceState?.get("vendor"), "opaque");
      }
      assert.equal(spans[0]?.status.code, SpanStatusCode.ERROR);
      assert.equal(spans[0]?.events[0]?.name, "exception");
      assert.equal(spans[1]?.status.code, SpanStatusCode.UNSET);
    });
  });
});
