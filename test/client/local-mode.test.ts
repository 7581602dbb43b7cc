// The client against real local mode: the API handler behind the local function-URL server, DynamoDB Local, the
// change feed and the local SNS/SQS, composed in-process on a table of its own.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { openLocalQueue } from "#local/subscription.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { isoTime } from "#store/model.ts";
import { StreamStore } from "#store/stream-store.ts";
import { eventually } from "#test/local/support.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  BadRequest,
  EventStoreClient,
  IdempotencyKeyReused,
  type MessageContext,
  type Notification,
  type Operation,
  OperationFinished,
  OperationNotFound,
  PayloadTooLarge,
  problemTypes,
  type RecordedEvent,
  StreamNotFound,
  type StreamTypeSummary,
  subscribe,
  WrongExpectedRevision,
} from "../../client/index.ts";

const tableName = "client-test";

describe("EventStoreClient against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  let notifications: TestNotifications;
  let store: StreamStore;
  let client: EventStoreClient;
  let sqs: SQSClient;
  /** Every request the client sent, by method and path. */
  const sent: string[] = [];
  before(async () => {
    local = await composeLocalMode({
      dynamoDbEndpoint: testDynamoDb().endpoint,
      tableName,
      // Undelivered notifications stay until the test redrives them.
      operations: { redriveIntervalMs: 600_000 },
    });
    server = await startHttpServer({ port: 0, handler: local.api });
    notifications = await testNotificationsAt(local.notifications.endpoint);
    store = new StreamStore({ client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)), tableName });
    sqs = new SQSClient(localAwsClientConfig(local.notifications.endpoint));
    client = new EventStoreClient({
      url: server.url,
      auth: "none",
      fetch: (input, init) => {
        const url = new URL(String(input));
        sent.push(`${init?.method} ${url.pathname}${url.search}`);
        return fetch(input, init);
      },
    });
  });
  after(async () => {
    sqs?.destroy();
    await server?.close();
    await local?.stop();
  });

  /** A new stream of `streamType` holding `count` events (revision r has payload {r}); its id. */
  async function streamWith(streamType: string, count: number): Promise<string> {
    const created = await client.createStream(streamType, { eventType: "Opened", payload: { r: 1 } });
    if (count > 1) {
      const events = Array.from({ length: count - 1 }, (_, index) => ({
        eventType: "Noted",
        payload: { r: index + 2 },
      }));
      await client.append(streamType, created.streamId, events, { expectedRevision: 1 });
    }
    return created.streamId;
  }

  async function collect<Item>(items: AsyncIterable<Item>): Promise<Item[]> {
    const all: Item[] = [];
    for await (const item of items) all.push(item);
    return all;
  }

  describe("streams and events", () => {
    it("creates a stream, appends to it and reads its details", async () => {
      const streamType = uniqueStreamType("client");
      const created = await client.createStream(streamType, { eventType: "Placed", payload: { total: 42 } });
      assert.equal(created.streamType, streamType);
      assert.equal(created.revision, 1);

      const appended = await client.append(
        streamType,
        created.streamId,
        [
          { eventType: "Paid", payload: { amount: 42 } },
          { eventType: "Shipped", payload: "by post", metadata: { by: "ops" } },
        ],
        { expectedRevision: 1 },
      );
      const atRevision = await client.appendAt(streamType, created.streamId, 4, { eventType: "Closed", payload: null });

      assert.deepEqual([appended.firstRevision, appended.lastRevision, appended.stream.revision], [2, 3, 3]);
      assert.equal(atRevision.revision, 4);
      assert.deepEqual(await client.getStream(streamType, created.streamId), atRevision);
    });

    it("reads forward and backward across pages, each page one request, payloads exactly as sent", async () => {
      const streamType = uniqueStreamType("client-read");
      const streamId = await streamWith(streamType, 7);
      const readsBefore = sent.filter((line) => line.includes(`/${streamId}/events?`)).length;

      const forward = await collect(client.readEvents(streamType, streamId, { pageSize: 2 }));
      const backward = await collect(client.readEvents(streamType, streamId, { direction: "backward", pageSize: 3 }));

      assert.deepEqual(
        forward.map((event) => event.revision),
        [1, 2, 3, 4, 5, 6, 7],
      );
      assert.deepEqual(
        forward.map((event) => event.payload),
        [1, 2, 3, 4, 5, 6, 7].map((r) => ({ r })),
      );
      assert.deepEqual(
        backward.map((event) => event.revision),
        [7, 6, 5, 4, 3, 2, 1],
      );
      // 4 pages of 2 forward, 3 pages of 3 backward.
      assert.equal(sent.filter((line) => line.includes(`/${streamId}/events?`)).length - readsBefore, 7);
    });

    it("reads from a revision on, in either direction", async () => {
      const streamType = uniqueStreamType("client-from");
      const streamId = await streamWith(streamType, 5);
      const revisions = (events: RecordedEvent[]) => events.map((event) => event.revision);

      assert.deepEqual(revisions(await collect(client.readEvents(streamType, streamId, { fromRevision: 4 }))), [4, 5]);
      assert.deepEqual(
        revisions(
          await collect(
            client.readEvents(streamType, streamId, { direction: "backward", fromRevision: 2, pageSize: 1 }),
          ),
        ),
        [2, 1],
      );
      const page = await client.readEventPage(streamType, streamId, { afterRevision: 1, limit: 2 });
      assert.deepEqual([revisions(page.events), page.hasMore, page.lastEvaluatedRevision], [[2, 3], true, 3]);
    });

    it("keeps a string payload a string and metadata an object", async () => {
      const streamType = uniqueStreamType("client-payload");
      const created = await client.createStream(streamType, {
        eventType: "Noted",
        payload: '{"looks":"like json"}',
        metadata: { traceId: "t-1", nested: { z: 1, a: 2 } },
      });
      const [event] = await collect(client.readEvents(streamType, created.streamId));
      assert.equal(event?.payload, '{"looks":"like json"}');
      assert.deepEqual(Object.keys((event?.metadata?.nested ?? {}) as object), ["z", "a"]);
    });

    it("an append that repeats the eventIds of the last one answers its positions and writes nothing", async () => {
      const streamType = uniqueStreamType("client-retry");
      const streamId = await streamWith(streamType, 1);
      const events = [
        { eventType: "Paid", payload: 1, eventId: randomUUID() },
        { eventType: "Paid", payload: 2, eventId: randomUUID() },
      ];

      const first = await client.append(streamType, streamId, events, { expectedRevision: 1 });
      const again = await client.append(streamType, streamId, events, { expectedRevision: 1 });

      assert.deepEqual([again.firstRevision, again.lastRevision], [first.firstRevision, first.lastRevision]);
      assert.equal((await client.getStream(streamType, streamId)).revision, 3);
    });

    it("creates with an Idempotency-Key once: the same key answers the same stream, with another body 422", async () => {
      const streamType = uniqueStreamType("client-key");
      const idempotencyKey = `order-${randomUUID()}`;
      const event = { eventType: "Placed", payload: { total: 1 }, eventId: randomUUID() };

      const first = await client.createStream(streamType, event, { idempotencyKey });
      const again = await client.createStream(streamType, event, { idempotencyKey });

      assert.equal(again.streamId, first.streamId);
      await assert.rejects(
        client.createStream(streamType, { eventType: "Placed", payload: { total: 2 } }, { idempotencyKey }),
        (error: unknown) => error instanceof IdempotencyKeyReused && error.status === 422,
      );
    });

    it("lists the streams of a type page by page, from a time on (inclusive)", async () => {
      const streamType = uniqueStreamType("client-list");
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(await streamWith(streamType, 1));
      const third = await client.getStream(streamType, created[2] as string);

      // The listing follows the change feed: wait until every stream is in it.
      let listed: string[] = [];
      const complete = await eventually(async () => {
        listed = (await collect(client.listStreams(streamType, { pageSize: 2 }))).map((stream) => stream.streamId);
        return listed.length >= 5;
      }, 10_000);
      const since = await collect(client.listStreams(streamType, { updatedAfter: third.updatedAt, pageSize: 2 }));

      assert.ok(complete, JSON.stringify(listed));
      assert.deepEqual(listed, created);
      // Inclusive, and at least once: the listing also repeats what was updated up to 2 s before the time asked for.
      assert.deepEqual(since.map((stream) => stream.streamId).slice(-3), created.slice(2));
      assert.deepEqual(
        await collect(client.listStreams(streamType, { updatedAfter: new Date(Date.now() + 60_000) })),
        [],
      );
    });

    it("lists the stream types by name with their counts, page by page, once the change feed has counted them", async () => {
      const prefix = uniqueStreamType("client-types");
      const [first, second] = [`${prefix}-a`, `${prefix}-b`];
      const created: Record<string, string[]> = { [first]: [], [second]: [] };
      for (const [streamType, count] of [
        [first, 3],
        [second, 2],
      ] as const) {
        for (let index = 0; index < count; index++) created[streamType]?.push(await streamWith(streamType, 1));
      }
      const lastCreated = async (streamType: string) =>
        (await client.getStream(streamType, created[streamType]?.at(-1) as string)).updatedAt;

      // The counts follow the change feed: wait until both types show every stream.
      let ours: StreamTypeSummary[] = [];
      const pagesBefore = sent.filter((line) => line.startsWith("GET /streams?")).length;
      const counted = await eventually(async () => {
        const listed = await collect(client.listStreamTypes({ pageSize: 2 }));
        ours = listed.filter((type) => type.streamType.startsWith(prefix));
        return ours.map((type) => type.streamCount).join() === "3,2";
      }, 10_000);

      assert.ok(counted, JSON.stringify(ours));
      assert.deepEqual(ours, [
        { streamType: first, streamCount: 3, lastStreamCreatedAt: await lastCreated(first) },
        { streamType: second, streamCount: 2, lastStreamCreatedAt: await lastCreated(second) },
      ]);
      const pages = sent.filter((line) => line.startsWith("GET /streams?")).slice(pagesBefore);
      assert.ok(pages.length >= 2, "pages of two: at least two requests");
      assert.ok(pages.every((line) => line.includes("limit=2")));
      assert.ok(pages.some((line) => line.includes("nextPageKey=")));
    });
  });

  describe("errors", () => {
    it("a stream that does not exist, or has another type, is StreamNotFound with its problem", async () => {
      const streamType = uniqueStreamType("client-404");
      const streamId = await streamWith(streamType, 1);

      for (const [type, id] of [
        [streamType, randomUUID()],
        [uniqueStreamType("client-other"), streamId],
      ] as const) {
        await assert.rejects(client.getStream(type, id), (error: unknown) => {
          assert.ok(error instanceof StreamNotFound);
          assert.equal(error.status, 404);
          assert.equal(error.problem.type, problemTypes.streamNotFound);
          assert.equal(typeof error.problem.requestId, "string");
          return true;
        });
      }
      await assert.rejects(collect(client.readEvents(streamType, randomUUID())), StreamNotFound);
      await assert.rejects(
        client.append(streamType, randomUUID(), [{ eventType: "X", payload: 1 }], {
          expectedRevision: "stream-exists",
        }),
        StreamNotFound,
      );
    });

    it("an append against a stale revision is WrongExpectedRevision with the current revision, and writes nothing", async () => {
      const streamType = uniqueStreamType("client-409");
      const streamId = await streamWith(streamType, 3);

      for (const append of [
        () => client.append(streamType, streamId, [{ eventType: "Late", payload: 1 }], { expectedRevision: 2 }),
        () =>
          client.append(streamType, streamId, [{ eventType: "Late", payload: 1 }], { expectedRevision: "no-stream" }),
        () => client.appendAt(streamType, streamId, 3, { eventType: "Late", payload: 1 }),
      ]) {
        await assert.rejects(append(), (error: unknown) => {
          assert.ok(error instanceof WrongExpectedRevision, String(error));
          assert.equal(error.currentRevision, 3);
          assert.equal(error.problem.currentRevision, 3);
          return true;
        });
      }
      assert.equal((await client.getStream(streamType, streamId)).revision, 3);
    });

    it("bad input is BadRequest naming each field", async () => {
      await assert.rejects(client.getStream("order", "not-a-uuid"), (error: unknown) => {
        assert.ok(error instanceof BadRequest);
        assert.ok(error.errors.streamId, JSON.stringify(error.problem));
        return true;
      });
      await assert.rejects(client.createStream("no spaces", { eventType: "X", payload: 1 }), (error: unknown) => {
        assert.ok(error instanceof BadRequest);
        assert.ok(error.errors.streamType, JSON.stringify(error.problem));
        return true;
      });
      await assert.rejects(
        client.append("order", randomUUID(), [{ eventType: "", payload: 1, eventId: "nope" }], { expectedRevision: 0 }),
        (error: unknown) => {
          assert.ok(error instanceof BadRequest);
          assert.deepEqual(Object.keys(error.errors).sort(), ["events[0].eventId", "events[0].eventType"]);
          return true;
        },
      );
    });

    it("an event over 400 KB is PayloadTooLarge with the limit", async () => {
      const streamType = uniqueStreamType("client-413");
      await assert.rejects(
        client.createStream(streamType, { eventType: "Huge", payload: "x".repeat(420 * 1024) }),
        (error: unknown) => {
          assert.ok(error instanceof PayloadTooLarge, String(error));
          assert.equal(error.status, 413);
          assert.equal(typeof error.limitBytes, "number");
          return true;
        },
      );
    });
  });

  describe("operations", () => {
    it("starts a replay into a queue, follows it to the end, finds it in the list, and cannot cancel it then", async () => {
      const streamType = uniqueStreamType("client-replay");
      const streamIds = [await streamWith(streamType, 3), await streamWith(streamType, 2)];
      const target = await openLocalQueue({ endpoint: local.notifications.endpoint, namePrefix: "client-replay" });

      const accepted = await client.startReplay({ streamType, streamIds, target: { queueUrl: target.queueUrl } });
      const finished = await client.waitForOperation(accepted.id, {
        intervalMs: 100,
        signal: AbortSignal.timeout(20_000),
      });

      assert.equal(accepted.location, `/operations/${accepted.id}`);
      assert.equal(finished.state, "succeeded", JSON.stringify(finished));
      assert.deepEqual(finished.progress, { streams: 2, events: 5 });
      assert.deepEqual(await client.getOperation(accepted.id), finished);
      const replays = await collect(client.listOperations({ kind: "replay", state: "succeeded", pageSize: 1 }));
      assert.ok(replays.some((operation) => operation.id === accepted.id));
      await assert.rejects(client.cancelOperation(accepted.id), OperationFinished);
      await target.close();
    });

    it("cancels an operation that has not finished", async () => {
      const streamType = uniqueStreamType("client-cancel");
      await streamWith(streamType, 1);
      const target = await openLocalQueue({ endpoint: local.notifications.endpoint, namePrefix: "client-cancel" });

      const accepted = await client.startReplay({ streamType, target: { queueUrl: target.queueUrl } });
      let canceled: Operation | undefined;
      try {
        canceled = await client.cancelOperation(accepted.id);
      } catch (error) {
        // The worker may have finished the one-step replay first.
        if (!(error instanceof OperationFinished)) throw error;
      }

      const ended = await client.waitForOperation(accepted.id, {
        intervalMs: 100,
        signal: AbortSignal.timeout(20_000),
      });
      if (canceled) {
        assert.ok(canceled.state === "canceled" || canceled.cancelRequested === true, JSON.stringify(canceled));
        assert.equal(ended.state, "canceled");
      } else assert.equal(ended.state, "succeeded");
      await target.close();
    });

    it("limits a stream's retention and reads it back; truncates and deletes it, each a removal operation", async () => {
      const id = await streamWith("client-lifecycle", 5);
      const limited = await client.setRetention("client-lifecycle", id, { maxCount: 3 });
      assert.equal((await client.waitForOperation(limited.id)).state, "succeeded");
      assert.deepEqual(await client.getRetention("client-lifecycle", id), {
        stream: { maxCount: 3 },
        streamType: {},
        effective: { maxCount: 3 },
      });
      const revisions = async () =>
        (await collect(client.readEvents("client-lifecycle", id))).map((event) => event.revision);
      assert.deepEqual(await revisions(), [3, 4, 5]);
      const truncated = await client.truncateStream("client-lifecycle", id, 5);
      assert.equal((await client.waitForOperation(truncated?.id as string)).kind, "removal");
      assert.deepEqual(await revisions(), [5]);
      assert.equal(await client.truncateStream("client-lifecycle", id, 2), undefined);
      await client.deleteStream("client-lifecycle", id, { expectedRevision: 5 });
      await assert.rejects(client.getRetention("client-lifecycle", id), StreamNotFound);
    });

    it("an unknown operation is OperationNotFound", async () => {
      await assert.rejects(client.getOperation(randomUUID()), OperationNotFound);
    });

    it("lists undelivered notifications page by page, and a redrive sends and clears them", async () => {
      const streamType = uniqueStreamType("client-undelivered");
      const streamIds = [
        await streamWith(streamType, 2),
        await streamWith(streamType, 2),
        await streamWith(streamType, 2),
      ];
      const since = isoTime(Date.now());
      await store.recordUndelivered(
        streamIds.map((streamId) => ({
          streamId,
          streamType,
          firstRevision: 1,
          lastRevision: 2,
          cause: "test",
          since,
        })),
      );
      const ours = async () =>
        (await collect(client.listUndelivered({ pageSize: 1 }))).filter((entry) => entry.streamType === streamType);

      const waiting = await ours();
      const redrive = await client.startReplay({ undelivered: true });
      const redriven = await client.waitForOperation(redrive.id, {
        intervalMs: 100,
        signal: AbortSignal.timeout(20_000),
      });

      assert.deepEqual(waiting.map((entry) => entry.streamId).sort(), [...streamIds].sort());
      assert.deepEqual(waiting[0], { ...waiting[0], firstRevision: 1, lastRevision: 2, cause: "test", since });
      assert.equal(redrive.kind, "redrive");
      assert.equal(redriven.state, "succeeded", JSON.stringify(redriven));
      assert.deepEqual(await ours(), []);
    });
  });

  describe("service", () => {
    it("answers the liveness check and the OpenAPI document", async () => {
      assert.equal((await client.liveness()).status, "ok");
      assert.match(String((await client.openApi()).openapi), /^3\.1\./);
    });
  });

  describe("subscribe", () => {
    /** Messages still in the queue, visible or in flight. */
    async function messagesLeft(queueUrl: string): Promise<number> {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    }

    it("hands each notification of an append to the handler, typed, and deletes it once handled", async () => {
      const streamType = uniqueStreamType("client-sub");
      const queue = await notifications.subscribedQueue({ streamType: [streamType] });
      const eventIds = [randomUUID(), randomUUID(), randomUUID()];
      const created = await client.createStream(streamType, { eventType: "Placed", payload: 1, eventId: eventIds[0] });
      await client.append(
        streamType,
        created.streamId,
        [
          { eventType: "Paid", payload: 2, eventId: eventIds[1] },
          { eventType: "Shipped", payload: 3, eventId: eventIds[2] },
        ],
        { expectedRevision: 1 },
      );

      const received: Notification[] = [];
      const stop = new AbortController();
      const timeout = AbortSignal.timeout(20_000);
      await subscribe(
        queue.queueUrl,
        (notification) => {
          received.push(notification);
          if (received.length === 3) stop.abort();
        },
        { sqsClient: sqs, signal: AbortSignal.any([stop.signal, timeout]), waitTimeSeconds: 1 },
      );

      const byRevision = received.sort((a, b) => a.revision - b.revision);
      assert.deepEqual(
        byRevision.map(({ streamId, streamType: type, revision, eventType, eventId, payloadIncluded, redrive }) => ({
          streamId,
          type,
          revision,
          eventType,
          eventId,
          payloadIncluded,
          redrive,
        })),
        ["Placed", "Paid", "Shipped"].map((eventType, index) => ({
          streamId: created.streamId,
          type: streamType,
          revision: index + 1,
          eventType,
          eventId: eventIds[index],
          payloadIncluded: false,
          redrive: false,
        })),
      );
      assert.equal(await messagesLeft(queue.queueUrl), 0);
      await queue.close();
    });

    it("leaves a notification whose handler failed, so that it comes back, and deletes it after it succeeded", async () => {
      const streamType = uniqueStreamType("client-sub-fail");
      const queue = await notifications.subscribedQueue({ streamType: [streamType] });
      await streamWith(streamType, 1);

      const deliveries: MessageContext[] = [];
      const errors: Error[] = [];
      const stop = new AbortController();
      await subscribe(
        queue.queueUrl,
        (_notification, context) => {
          deliveries.push(context);
          if (context.receiveCount === 1) throw new Error("the read model is down");
          stop.abort();
        },
        {
          sqsClient: sqs,
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]),
          waitTimeSeconds: 1,
          // Comes back one second after the failure.
          visibilityTimeoutSeconds: 1,
          onError: (error) => errors.push(error),
        },
      );

      assert.deepEqual(
        deliveries.map((delivery) => delivery.receiveCount),
        [1, 2],
      );
      assert.equal(deliveries[0]?.messageId, deliveries[1]?.messageId);
      assert.deepEqual(
        errors.map((error) => error.message),
        ["the read model is down"],
      );
      assert.equal(await messagesLeft(queue.queueUrl), 0);
      await queue.close();
    });

    it("reads a replay's raw messages in a queue of the caller, with the operation's id", async () => {
      const streamType = uniqueStreamType("client-sub-replay");
      const streamId = await streamWith(streamType, 2);
      const target = await openLocalQueue({ endpoint: local.notifications.endpoint, namePrefix: "client-sub-replay" });
      // By id: a replay of the whole type finds streams through the listing, which lags the change feed.
      const accepted = await client.startReplay({
        streamType,
        streamIds: [streamId],
        target: { queueUrl: target.queueUrl },
      });

      const received: Notification[] = [];
      const stop = new AbortController();
      await subscribe(
        target.queueUrl,
        (notification) => {
          received.push(notification);
          if (received.length === 2) stop.abort();
        },
        { sqsClient: sqs, signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]), waitTimeSeconds: 1 },
      );

      assert.deepEqual(
        received
          .map(({ streamId: id, revision, replayId }) => ({ id, revision, replayId }))
          .sort((a, b) => a.revision - b.revision),
        [1, 2].map((revision) => ({ id: streamId, revision, replayId: accepted.id })),
      );
      await target.close();
    });
  });
});
