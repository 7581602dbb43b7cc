// One bad entry never holds back or drops the others (SPEC sections 2 and 4): what the SDK or SNS refuses fails
// alone, what fails for a while is retried alone, and on a FIFO topic each stream keeps its order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { createSnsPublisher, type Publish } from "#change-feed/notifications.ts";
import { RawJson } from "#store/raw-json.ts";
import {
  type NotificationSuite,
  notificationSuite,
  revisionOf,
  type SnsScript,
  scriptedSns,
  streamOf,
  subscribedStreams,
} from "./publishing.ts";

function feed(suite: NotificationSuite, script: SnsScript, fifo = false) {
  const { client, calls } = scriptedSns(suite.local.sns, script);
  const publish: Publish = createSnsPublisher({ sns: client, topicArn: suite.local.topicArn, backoffMs: () => 1 });
  return { handler: createChangeFeed({ store: suite.store, publish, fifo }), calls };
}

describe("on a standard topic", () => {
  const suite = notificationSuite();

  it("an eventType with a lone surrogate (forced past the API) is refused alone: 5 of 5 others are notified", async () => {
    // store.append writes what the API would refuse: an eventType that is not well-formed Unicode.
    const bad = [{ eventType: "Paid\uD800", payload: new RawJson("{}") }];
    const { queue, ids, records } = await subscribedStreams(suite, "surrogate", [1, 1, bad, 1, 1, 1]);
    const badId = ids[2] as string;
    const { handler, calls } = feed(suite, {});
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });

    const received = await suite.local.receive(queue, 6, 2500);
    assert.deepEqual(
      new Set(received.map((notification) => notification.body.StreamId)),
      new Set(ids.filter((id) => id !== badId)),
    );
    assert.equal(received.length, 5);
    assert.ok(
      calls.flat().every((entry) => streamOf(entry) !== badId),
      "the bad entry is never sent",
    );
    const [undelivered] = await suite.store.undeliveredOfStream(badId);
    assert.equal(undelivered?.firstRevision, 1);
    assert.match(undelivered?.cause ?? "", /^refused before sending: attribute eventType holds characters/);
  });

  it("a call refused as a whole is split into calls of one entry, so only the bad entry fails", async () => {
    const { queue, ids, records } = await subscribedStreams(suite, "split", [1, 1, 1, 1]);
    const badId = ids[1] as string;
    const { handler, calls } = feed(suite, {
      // As the SDK does when it cannot serialise a call: it throws before anything is sent.
      beforeCall: (entries) => {
        if (entries.some((entry) => streamOf(entry) === badId)) throw new URIError("URI malformed");
      },
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(
      calls.map((entries) => entries.length),
      [4, 1, 1, 1, 1],
    );
    assert.equal((await suite.local.receive(queue, 4, 2000)).length, 3);
    const [undelivered] = await suite.store.undeliveredOfStream(badId);
    assert.equal(undelivered?.cause, "URIError: URI malformed");
  });

  it("an entry that fails transiently is retried alone; the others are sent once", async () => {
    const { queue, ids, records } = await subscribedStreams(suite, "retry-one", [2, 2, 2]);
    const { handler, calls } = feed(suite, {
      failEntry: (entry, call) =>
        call === 1 && streamOf(entry) === ids[1] && revisionOf(entry) === 1
          ? { Code: "InternalError", Message: "try again", SenderFault: false }
          : undefined,
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(
      calls.map((entries) => entries.map((entry) => [streamOf(entry), revisionOf(entry)])),
      [
        [
          [ids[0], 1],
          [ids[0], 2],
          [ids[1], 1],
          [ids[1], 2],
          [ids[2], 1],
          [ids[2], 2],
        ],
        [[ids[1], 1]],
      ],
    );
    assert.equal((await suite.local.receive(queue, 7, 2000)).length, 6, "each exactly once");
    assert.deepEqual(await suite.store.undeliveredOfStream(ids[1] as string), []);
  });

  it("an entry SNS refuses (SenderFault) is not retried; on a standard topic its stream goes on", async () => {
    const { queue, ids, records } = await subscribedStreams(suite, "refused", [3, 2]);
    const refused = ids[0] as string;
    const { handler, calls } = feed(suite, {
      // Too long for SNS (> 256 KB): the local SNS refuses that entry, as AWS would.
      beforeCall: (entries) => {
        for (const entry of entries) {
          if (streamOf(entry) === refused && revisionOf(entry) === 2) entry.Message += " ".repeat(260 * 1024);
        }
      },
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    assert.equal(calls.length, 1);
    assert.equal((await suite.local.receive(queue, 5, 2000)).length, 4);
    const undelivered = await suite.store.undeliveredOfStream(refused);
    assert.deepEqual(
      undelivered.map((range) => [range.firstRevision, range.lastRevision, range.cause]),
      [[2, 2, "InvalidParameter: Message too long"]],
    );
  });
});

describe("on a FIFO topic", () => {
  const suite = notificationSuite({ fifo: true });

  it("no call carries two entries of one stream, and a partial failure keeps every stream in order", async () => {
    const { queue, ids, records } = await subscribedStreams(suite, "fifo-order", [3, 3, 1]);
    const [retried, refused, single] = ids as [string, string, string];
    const { handler, calls } = feed(
      suite,
      {
        failEntry: (entry, call) => {
          const at = [streamOf(entry), revisionOf(entry)].join(":");
          if (call === 2 && at === `${retried}:2`) return { Code: "Throttled", Message: "slow", SenderFault: false };
          if (at === `${refused}:2`) return { Code: "InvalidParameter", Message: "no", SenderFault: true };
          return undefined;
        },
      },
      true,
    );
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });

    for (const entries of calls) {
      const groups = entries.map((entry) => entry.MessageGroupId);
      assert.equal(new Set(groups).size, groups.length, `one entry per stream in ${JSON.stringify(groups)}`);
    }
    const received = await suite.local.receive(queue, 6, 2500);
    const revisions = (streamId: string) =>
      received
        .filter((notification) => notification.body.StreamId === streamId)
        .map((notification) => Number(notification.body.StreamRevision));
    assert.deepEqual(revisions(retried), [1, 2, 3], "retried in place, never overtaken");
    assert.deepEqual(revisions(refused), [1], "later events held back behind the refused one");
    assert.deepEqual(revisions(single), [1]);
    const undelivered = await suite.store.undeliveredOfStream(refused);
    assert.deepEqual(
      undelivered.map((range) => [range.firstRevision, range.lastRevision, range.cause]),
      [[2, 3, "InvalidParameter: no"]],
    );
    assert.ok(
      calls.flat().every((entry) => !(streamOf(entry) === refused && revisionOf(entry) === 3)),
      "revision 3 is never sent after 2 failed",
    );
  });
});
