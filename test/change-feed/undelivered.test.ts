// Undelivered instead of lost (SPEC section 2): what SNS does not take after the retries is recorded by its keys
// and the change feed moves on; on a FIFO topic a stream's new events wait behind its undelivered ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SNSClient } from "@aws-sdk/client-sns";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { createSnsPublisher } from "#change-feed/notifications.ts";
import { RawJson } from "#store/raw-json.ts";
import { testNotifications } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";
import {
  appendEvents,
  notificationSuite,
  recordsOf,
  scriptedSns,
  storeSuite,
  subscribedStreams,
  unreachableSns,
} from "./publishing.ts";

const suite = storeSuite();

function handlerWith(sns: Pick<SNSClient, "send">, topicArn: string, fifo: boolean) {
  const publish = createSnsPublisher({ sns, topicArn, backoffMs: () => 1 });
  return createChangeFeed({ store: suite.store, publish, fifo, now: () => Date.parse("2026-06-01T08:00:00.000Z") });
}

async function ranges(streamId: string) {
  return (await suite.store.undeliveredOfStream(streamId)).map((range) => [range.firstRevision, range.lastRevision]);
}

describe("SNS down", () => {
  it("answers no batch item failures and records every event undelivered, one range per stream", async () => {
    const streamType = uniqueStreamType("down");
    const { ids, records } = await appendEvents(suite.store, suite.streamArn, [
      { streamType, events: 2 },
      { streamType, events: 3 },
      { streamType, events: 1 },
    ]);
    const { client, calls } = scriptedSns(unreachableSns);
    const topicArn = "arn:aws:sns:us-east-1:000000000000:events";
    assert.deepEqual(await handlerWith(client, topicArn, false)({ Records: records }), { batchItemFailures: [] });
    assert.equal(calls.length, 4, "bounded: as many failed calls in a row as tries, then SNS counts as down");

    const [first] = await suite.store.undeliveredOfStream(ids[1] as string);
    assert.deepEqual(first, {
      streamId: ids[1],
      streamType,
      firstRevision: 1,
      lastRevision: 3,
      cause: first?.cause,
      since: "2026-06-01T08:00:00.000Z",
    });
    assert.match(first?.cause ?? "", /ECONNREFUSED/);
    assert.deepEqual(await ranges(ids[0] as string), [[1, 2]]);
    assert.deepEqual(await ranges(ids[2] as string), [[1, 1]]);
    const listed = await suite.store.listStreams(streamType, { updatedAfter: 0, limit: 10 });
    assert.equal(listed.streams.length, 3, "summaries are kept all the same");
  });
});

describe("FIFO: a stream behind undelivered notifications", () => {
  const fifoSuite = notificationSuite({ fifo: true });

  it("keeps its new events behind them (recorded too), while other streams are published", async () => {
    const { streamType, queue, ids, records } = await subscribedStreams(fifoSuite, "behind", [2, 1]);
    const [behind, other] = ids as [string, string];
    // SNS is down for the first batch: both streams are recorded undelivered.
    const down = handlerWith(unreachableSns, fifoSuite.local.topicArn, true);
    assert.deepEqual(await down({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(await ranges(behind), [[1, 2]]);

    // SNS is back. A redrive publishes the other stream and clears it; then both streams get a new event.
    await suite.store.clearUndelivered(other, 1);
    await suite.store.append(streamType, behind, 2, [{ eventType: "E3", payload: new RawJson("{}") }]);
    await suite.store.append(streamType, other, 1, [{ eventType: "E2", payload: new RawJson("{}") }]);
    const later = await readStreamRecords(suite.streamArn, new Set(ids));
    const newRecords = [...recordsOf(later, behind, 3), ...recordsOf(later, other, 2)];
    const { client, calls } = scriptedSns(fifoSuite.local.sns);
    const up = createChangeFeed({
      store: suite.store,
      publish: createSnsPublisher({ sns: client, topicArn: fifoSuite.local.topicArn, backoffMs: () => 1 }),
      fifo: true,
    });
    assert.deepEqual(await up({ Records: newRecords }), { batchItemFailures: [] });

    const received = await fifoSuite.local.receive(queue, 2, 2000);
    assert.deepEqual(
      received.map((notification) => [notification.body.StreamId, notification.body.StreamRevision]),
      [[other, "2"]],
    );
    assert.ok(
      calls.flat().every((entry) => entry.MessageGroupId !== behind),
      "nothing of it is sent",
    );
    const undelivered = await suite.store.undeliveredOfStream(behind);
    assert.deepEqual(
      undelivered.map((range) => [range.firstRevision, range.lastRevision, range.cause]),
      [
        [1, 2, undelivered[0]?.cause],
        [3, 3, "held back behind undelivered revision 1"],
      ],
    );
  });
});

describe("standard topic: no holding behind", () => {
  it("a stream with undelivered notifications is published all the same (order is not kept anyway)", async () => {
    const standard = await testNotifications();
    try {
      const streamType = uniqueStreamType("not-behind");
      const queue = await standard.subscribedQueue({ streamType: [streamType] });
      const { ids, records } = await appendEvents(suite.store, suite.streamArn, [{ streamType, events: 2 }]);
      const streamId = ids[0] as string;
      await handlerWith(unreachableSns, standard.topicArn, false)({ Records: records.slice(0, 1) });
      assert.deepEqual(await ranges(streamId), [[1, 1]]);
      await handlerWith(standard.sns, standard.topicArn, false)({ Records: recordsOf(records, streamId, 2) });
      assert.deepEqual(
        (await standard.receive(queue, 1)).map((notification) => notification.body.StreamRevision),
        ["2"],
      );
    } finally {
      await standard.stop();
    }
  });
});
