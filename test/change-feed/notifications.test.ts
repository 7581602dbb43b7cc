import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { createSnsPublisher } from "#change-feed/notifications.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotifications } from "#test/support/notifications.ts";
import { eventsTable, testStreamStore, uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";

/** The real SNS client of the local endpoint, with a count of PublishBatch calls and a way to interfere. */
function instrumentedSns(sns: SNSClient, interfere: (command: PublishBatchCommand, call: number) => void = () => {}) {
  const counter = { calls: 0, entries: [] as number[] };
  const client = {
    send: async (command: PublishBatchCommand) => {
      counter.calls++;
      counter.entries.push(command.input.PublishBatchRequestEntries?.length ?? 0);
      interfere(command, counter.calls);
      return sns.send(command);
    },
  } as unknown as SNSClient;
  return { client, counter };
}

describe("notifications: the change feed publishes every event to SNS", () => {
  let store: StreamStore;
  let streamArn: string;
  let local: TestNotifications;
  before(async () => {
    ({ store } = await testStreamStore());
    streamArn = await testTableStream(eventsTable);
    local = await testNotifications();
  });
  after(async () => {
    await local.stop();
  });

  async function appendAndRead(streams: { streamType: string; events: number }[]) {
    const ids = streams.map(() => randomUUID());
    for (const [index, stream] of streams.entries()) {
      const events = Array.from({ length: stream.events }, (_, n) => ({
        eventType: `E${n + 1}`,
        payload: new RawJson("{}"),
      }));
      await store.append(stream.streamType, ids[index] as string, "no-stream", events);
    }
    return { ids, records: await readStreamRecords(streamArn, new Set(ids)) };
  }

  function handlerWith(sns: SNSClient) {
    return createChangeFeed({
      store,
      publish: createSnsPublisher({ sns, topicArn: local.topicArn, backoffMs: () => 1 }),
    });
  }

  it("sends the Go project's body and the streamType and eventType attributes", async () => {
    const streamType = uniqueStreamType("body");
    const queue = await local.subscribedQueue({ streamType: [streamType] });
    const { ids, records } = await appendAndRead([{ streamType, events: 1 }]);
    assert.deepEqual(await handlerWith(local.sns)({ Records: records }), { batchItemFailures: [] });
    const [notification] = await local.receive(queue, 1);
    const [event] = (await store.readEvents(streamType, ids[0] as string, { direction: "forward", limit: 1 })).events;
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
    const queueA = await local.subscribedQueue({ streamType: [typeA] });
    const { ids, records } = await appendAndRead([
      { streamType: typeA, events: 2 },
      { streamType: typeB, events: 3 },
      { streamType: typeA, events: 1 },
    ]);
    await handlerWith(local.sns)({ Records: records });
    const received = await local.receive(queueA, 4, 2500);
    assert.equal(received.length, 3);
    assert.ok(received.every((notification) => notification.body.StreamType === typeA));
    assert.deepEqual(new Set(received.map((notification) => notification.body.StreamId)), new Set([ids[0], ids[2]]));
  });

  it("25 events in one batch go out in 3 PublishBatch calls of at most 10 entries", async () => {
    const streamType = uniqueStreamType("many");
    const queue = await local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead(Array.from({ length: 5 }, () => ({ streamType, events: 5 })));
    assert.equal(records.length, 25);
    const { client, counter } = instrumentedSns(local.sns);
    assert.deepEqual(await handlerWith(client)({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(counter.entries, [10, 10, 5]);
    assert.equal((await local.receive(queue, 25)).length, 25);
  });

  it("entries SNS refuses are reported by exactly their streams' earliest sequence numbers", async () => {
    const streamType = uniqueStreamType("fail");
    const { ids, records } = await appendAndRead([
      { streamType, events: 3 },
      { streamType, events: 2 },
      { streamType, events: 2 },
    ]);
    const refused = ids[1] as string;
    // Make the messages of one stream too long (> 256 KB): the local SNS refuses those entries, as AWS would.
    const { client } = instrumentedSns(local.sns, (command) => {
      for (const entry of command.input.PublishBatchRequestEntries ?? []) {
        if (entry.Message?.includes(refused)) entry.Message += " ".repeat(260 * 1024);
      }
    });
    const firstOfRefused = records.find((record) => record.dynamodb?.Keys?.pk?.S === refused) as DynamoDBRecord;
    assert.deepEqual(await handlerWith(client)({ Records: records }), {
      batchItemFailures: [{ itemIdentifier: firstOfRefused.dynamodb?.SequenceNumber }],
    });
  });

  it("a throttled PublishBatch call is retried inside the invocation", async () => {
    const streamType = uniqueStreamType("retry");
    const queue = await local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead([{ streamType, events: 3 }]);
    const { client, counter } = instrumentedSns(local.sns, (_command, call) => {
      if (call === 1) throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    });
    assert.deepEqual(await handlerWith(client)({ Records: records }), { batchItemFailures: [] });
    assert.equal(counter.calls, 2);
    assert.equal((await local.receive(queue, 3)).length, 3);
  });

  it("redelivery of a batch publishes again (at least once) and never moves the summary backwards", async () => {
    const streamType = uniqueStreamType("again");
    const queue = await local.subscribedQueue({ streamType: [streamType] });
    const { records } = await appendAndRead([{ streamType, events: 2 }]);
    const handler = handlerWith(local.sns);
    await handler({ Records: records });
    await handler({ Records: records.slice(0, 1) });
    assert.equal((await local.receive(queue, 3)).length, 3);
    const [stream] = (await store.listStreams(streamType, { updatedAfter: 0, limit: 10 })).streams;
    assert.equal(stream?.revision, 2);
  });
});

describe("notifications on a FIFO topic", () => {
  it("carry the stream id as MessageGroupId and streamId:revision as MessageDeduplicationId", async () => {
    const local = await testNotifications({ fifo: true });
    try {
      const sent: PublishBatchCommand[] = [];
      const { client } = instrumentedSns(local.sns, (command) => void sent.push(command));
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
      const entries = sent[0]?.input.PublishBatchRequestEntries ?? [];
      assert.deepEqual(
        entries.map((entry) => [entry.MessageGroupId, entry.MessageDeduplicationId]),
        [
          [streamId, `${streamId}:1`],
          [streamId, `${streamId}:2`],
        ],
      );
    } finally {
      await local.stop();
    }
  });
});
