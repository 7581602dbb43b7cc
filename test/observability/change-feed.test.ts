// What the change feed reports: events notified and left unpublished per invocation, and each failure as a line.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { createChangeFeedHandler } from "#change-feed/handler.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb, testTableStream } from "#test/support/dynamodb.ts";
import { eventsTable, testStreamStore, uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";
import { lambdaContext, recordingObservability } from "./recorder.ts";

const keptSummaries = { raiseSummary: async () => false };

describe("change-feed observability", () => {
  let store: StreamStore;
  let records: DynamoDBRecord[];
  let ids: string[];
  before(async () => {
    ({ store } = await testStreamStore());
    const streamArn = await testTableStream(eventsTable);
    const streamType = uniqueStreamType("observed");
    ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      await store.append(streamType, id, "no-stream", [
        { eventType: "A", payload: new RawJson("{}") },
        { eventType: "B", payload: new RawJson("{}") },
      ]);
    }
    records = await readStreamRecords(streamArn, new Set(ids));
  });

  it("counts the events it notified", async () => {
    const observability = recordingObservability();
    const handler = createChangeFeed({ store: keptSummaries, publish: async () => [], observability });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(observability.counts, { EventsNotified: 4 });
    assert.deepEqual(observability.logs, []);
  });

  it("counts the events it left unpublished and logs the first of each failed stream as an error", async () => {
    const observability = recordingObservability();
    // The second stream's events fail to publish.
    const publish = async (events: RecordedEvent[]) =>
      events.filter((event) => event.streamId === ids[1]).map((event) => ({ event, cause: "provoked" }));
    const handler = createChangeFeed({ store: keptSummaries, publish, observability });
    const { batchItemFailures } = await handler({ Records: records });
    assert.equal(batchItemFailures.length, 1);
    assert.deepEqual(observability.counts, { EventsNotified: 2, PublishFailures: 2 });
    assert.deepEqual(
      observability.logs.map(({ level, message, details }) => [level, message, details.streamId, details.revision]),
      [["error", "publish failed", ids[1], 1]],
    );
  });

  it("logs a failed summary upkeep with the error, and does not publish that stream", async () => {
    const observability = recordingObservability();
    const failing = {
      raiseSummary: async () => {
        throw new Error("table gone");
      },
    };
    const handler = createChangeFeed({ store: failing, publish: async () => [], observability });
    const { batchItemFailures } = await handler({ Records: records });
    assert.equal(batchItemFailures.length, 2);
    assert.deepEqual(observability.counts, {});
    assert.equal(observability.logs.length, 2);
    for (const log of observability.logs) {
      assert.equal(log.message, "summary upkeep failed");
      assert.equal((log.details.error as Error).message, "table gone");
    }
  });

  it("frames each invocation of the factory's handler with its Lambda context", async () => {
    const observability = recordingObservability();
    const dynamoDb = localAwsClientConfig(testDynamoDb().endpoint);
    const handler = createChangeFeedHandler({ tableName: eventsTable, dynamoDb, observability });
    assert.deepEqual(await handler({ Records: records }, lambdaContext("feed-1")), { batchItemFailures: [] });
    assert.deepEqual(
      observability.invocations.map(({ context, ended }) => [context?.awsRequestId, ended]),
      [["feed-1", true]],
    );
    assert.deepEqual(observability.logs, []);
  });
});
