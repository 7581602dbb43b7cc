import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { SNSClient } from "@aws-sdk/client-sns";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { createSnsPublisher } from "#change-feed/notifications.ts";
import { RawJson } from "#store/raw-json.ts";
import { testNotifications } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { appendEvents, notificationSuite, scriptedSns } from "./publishing.ts";

describe("notifications: the change feed publishes every event to SNS", () => {
  const suite = notificationSuite();

  const appendAndRead = (streams: { streamType: string; events: number }[]) =>
    appendEvents(suite.store, suite.streamArn, streams);

  function handlerWith(sns: SNSClient) {
    return createChangeFeed({
      store: suite.store,
      publish: createSnsPublisher({ sns, topicArn: suite.local.topicArn, backoffMs: () => 1 }),
    });
  }

  it("sends the Go project's body and the streamType and eventType attributes", async () => {
    const streamType = uniqueStreamType("body");
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const { ids, records } = await appendAndRead([{ streamType, events: 1 }]);
    assert.deepEqual(await handlerWith(suite.local.sns)({ Records: records }), { batchItemFailures: [] });
    const [notification] = await suite.local.receive(queue, 1);
    const [event] = (await suite.store.readEvents(streamType, ids[0] as string, { direction: "forward", limit: 1 }))
      .events;
    assert.deepEqual(notification?.body, {
      StreamId: ids[0],
      StreamType: streamType,
      StreamRevision: "1",
      EventType: "E1",
      EventId: event?.eventId,
      CreatedAt: event?.createdAt,
    });
    assert.deepEqual(notification?.attributes, { streamType, eventType: "E1" });
  });

  it('a queue with the filter policy {"streamType":["a"]} receives type a and nothing of type b', async () => {
    const typeA = uniqueStreamType("a");
    const typeB = uniqueStreamType("b");
    const queueA = await suite.local.subscribedQueue({ streamType: [typeA] });
    const { ids, records } = await appendAndRead([
      { streamType: typeA, events: 2 },
      { streamType: typeB, events: 3 },
      { streamType: typeA, events: 1 },
    ]);
    await handlerWith(suite.local.sns)({ Records: records });
    const received = await suite.local.receive(queueA, 4, 2500);
    assert.equal(received.length, 3);
    assert.ok(received.every((notification) => notification.body.StreamType === typeA));
    assert.deepEqual(new Set(received.map((notification) => notification.body.StreamId)), new Set([ids[0], ids[2]]));
  });

  it("25 events in one batch go out in 3 PublishBatch calls of at most 10 entries", async () => {
    const streamType = uniqueStreamType("many");
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead(Array.from({ length: 5 }, () => ({ streamType, events: 5 })));
    assert.equal(records.length, 25);
    const { client, calls } = scriptedSns(suite.local.sns);
    assert.deepEqual(await handlerWith(client)({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(
      calls.map((entries) => entries.length),
      [10, 10, 5],
    );
    assert.equal((await suite.local.receive(queue, 25)).length, 25);
  });

  it("a throttled PublishBatch call is retried inside the invocation", async () => {
    const streamType = uniqueStreamType("retry");
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead([{ streamType, events: 3 }]);
    const { client, calls } = scriptedSns(suite.local.sns, {
      beforeCall: (_entries, call) => {
        if (call === 1) throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
      },
    });
    assert.deepEqual(await handlerWith(client)({ Records: records }), { batchItemFailures: [] });
    assert.equal(calls.length, 2);
    assert.equal((await suite.local.receive(queue, 3)).length, 3);
  });

  it("redelivery of a batch publishes again (at least once) and never moves the summary backwards", async () => {
    const streamType = uniqueStreamType("again");
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead([{ streamType, events: 2 }]);
    const handler = handlerWith(suite.local.sns);
    await handler({ Records: records });
    await handler({ Records: records.slice(0, 1) });
    assert.equal((await suite.local.receive(queue, 3)).length, 3);
    const [stream] = (await suite.store.listStreams(streamType, { updatedAfter: 0, limit: 10 })).streams;
    assert.equal(stream?.revision, 2);
  });
});

describe("notifications on a FIFO topic", () => {
  it("carry the stream id as MessageGroupId and streamId:revision as MessageDeduplicationId", async () => {
    const local = await testNotifications({ fifo: true });
    try {
      const { client, calls } = scriptedSns(local.sns);
      const publish = createSnsPublisher({ sns: client, topicArn: local.topicArn });
      const streamId = randomUUID();
      const events = [1, 2].map((revision) => ({
        streamId,
        streamType: "order",
        revision,
        eventType: "E",
        eventId: randomUUID(),
        payload: new RawJson("{}"),
        createdAt: new Date().toISOString(),
      }));
      assert.deepEqual(await publish(events), []);
      // One entry of a stream per call.
      assert.deepEqual(
        calls.map((entries) => entries.map((entry) => [entry.MessageGroupId, entry.MessageDeduplicationId])),
        [[[streamId, `${streamId}:1`]], [[streamId, `${streamId}:2`]]],
      );
      // A replay repeats notifications on purpose: its id is part of the deduplication id, a redrive's is not.
      await publish(events.slice(0, 1), { replayId: "op-1" });
      await publish(events.slice(0, 1), { replayId: "op-2", redrive: "true" });
      const [replayed, redriven] = calls.slice(2).map((entries) => entries[0]?.MessageDeduplicationId);
      assert.match(replayed ?? "", new RegExp(`^${streamId}:1:[0-9a-f]{32}$`));
      assert.equal(redriven, `${streamId}:1`);
    } finally {
      await local.stop();
    }
  });
});
