// The payload sweep (store/payload-sweep.ts) on DynamoDB Local and s3rver: objects no event names go once their hour
// is past the grace, objects an event names stay forever, uploads go after a day. Time is placed by `now`: payload
// keys carry the hour they were put in, and the sweep is told what time it is.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { type S3Local, startS3Local } from "#local/s3-local.ts";
import { createOperationWorkerHandler } from "#operations/handler.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { quietObservability } from "#shared/observability.ts";
import { payloadKey, uploadKey } from "#store/large-payloads.ts";
import { type PayloadObjects, s3PayloadObjects } from "#store/payload-objects.ts";
import { RawJson } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb, testTable } from "#test/support/dynamodb.ts";
import { eventsTable } from "#test/support/store.ts";

const hour = 60 * 60 * 1000;
/** When the appends of this suite happen: 10:20, so their objects sit under the hour 10:00–11:00. */
const appendedAt = Date.parse("2026-03-01T10:20:00.000Z");
const thresholdBytes = 1024;
const large = () => new RawJson(JSON.stringify({ blob: "x".repeat(2 * thresholdBytes) }));

describe("payload sweep", () => {
  let s3: S3Local;
  let objects: PayloadObjects;
  let store: StreamStore;

  before(async () => {
    s3 = await startS3Local({ dataDir: undefined });
    objects = s3PayloadObjects({ bucket: s3.bucket, s3: s3.clientConfig });
    store = new StreamStore({
      client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)),
      tableName: await testTable(eventsTable),
      now: () => appendedAt,
      payloads: { objects, thresholdBytes },
    });
  });
  after(async () => {
    await s3?.stop();
  });

  const exists = async (key: string) => (await objects.size(key)) !== undefined;
  const allKeys = async (prefix: string) => {
    const keys: string[] = [];
    for await (const object of objects.list(prefix)) keys.push(object.key);
    return keys;
  };

  it("without a bucket checks nothing and deletes nothing", async () => {
    const bare = new StreamStore({
      client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)),
      tableName: await testTable(eventsTable),
    });
    assert.deepEqual(await bare.sweepPayloads(), { checked: 0, deleted: 0 });
  });

  it("deletes an object whose event was never written once its hour is past the grace, and keeps the event's own however old", async () => {
    const streamId = randomUUID();
    await store.append("document", streamId, "no-stream", [{ eventType: "Scanned", payload: large() }]);
    const [named] = await allKeys(`payloads/2026-03-01T10/${streamId}/`);
    assert.ok(named, "the append put its payload under its hour");
    // A crash between the put and the write: an object of a stream that has no event at that revision.
    const crashed = payloadKey(appendedAt, randomUUID(), 1, randomUUID());
    // An attempt that lost its race at revision 1 and died before deleting its object: the event names another.
    const lost = payloadKey(appendedAt, streamId, 1, randomUUID());
    for (const key of [crashed, lost]) await objects.put(key, Buffer.from(large().text));

    // 11:20: the hour 10:00–11:00 ended only 20 minutes ago, within the grace: nothing of it is looked at.
    assert.deepEqual(await store.sweepPayloads(appendedAt + hour), { checked: 0, deleted: 0 });
    assert.ok((await exists(crashed)) && (await exists(lost)), "younger than the grace: kept");

    // 12:50: the hour ended more than the grace ago.
    assert.deepEqual(await store.sweepPayloads(appendedAt + 2.5 * hour), { checked: 3, deleted: 2 });
    assert.equal(await exists(crashed), false);
    assert.equal(await exists(lost), false);
    assert.equal(await exists(named), true);

    // Each later run that still looks at the hour keeps it; runs after that do not look any more.
    for (const later of [3.5, 4.5, 48]) {
      await store.sweepPayloads(appendedAt + later * hour);
      assert.equal(await exists(named), true, `kept ${later} hours later`);
    }
    const page = await store.readEvents("document", streamId, { direction: "forward", afterRevision: 0, limit: 10 });
    assert.equal(page.events.length, 1);
  });

  it("keeps an object younger than the grace: an append may still commit it", async () => {
    const now = Date.parse("2026-03-02T08:59:00.000Z");
    const fresh = payloadKey(now - 30 * 60 * 1000, randomUUID(), 1, randomUUID());
    await objects.put(fresh, Buffer.from("{}"));
    await store.sweepPayloads(now);
    // The hour of 08:29 ends at 09:00; with an hour's grace it is looked at from 10:00 on.
    await store.sweepPayloads(now + 60 * 1000);
    assert.equal(await exists(fresh), true);
    await store.sweepPayloads(now + hour + 60 * 1000);
    assert.equal(await exists(fresh), false);
  });

  it("deletes an upload older than a day and keeps a fresh one", async () => {
    const upload = uploadKey(randomUUID());
    await objects.put(upload, Buffer.from('{"uploaded":true}'));
    // The upload's lastModified is the real clock's: a `now` a day and more ahead makes it old.
    const swept = await store.sweepPayloads(Date.now());
    assert.equal(swept.deleted, 0);
    assert.equal(await exists(upload), true);
    const later = await store.sweepPayloads(Date.now() + 25 * hour);
    assert.deepEqual(later, { checked: 1, deleted: 1 });
    assert.equal(await exists(upload), false);
  });

  it("runs when the operations worker is given the schedule's {sweep: payloads}, and counts what it deleted", async () => {
    const counted: Array<[string, number | undefined]> = [];
    const handler = createOperationWorkerHandler({
      tableName: await testTable(eventsTable),
      dynamoDb: localAwsClientConfig(testDynamoDb().endpoint),
      // Neither is contacted by a sweep.
      topicArn: "arn:aws:sns:us-east-1:000000000000:unused",
      operationsQueueUrl: "http://127.0.0.1:9/unused",
      payloads: { bucket: s3.bucket, s3: s3.clientConfig },
      observability: { ...quietObservability, count: (metric, value) => counted.push([metric, value]), warn: () => {} },
    });
    const orphan = payloadKey(Date.now() - 3 * hour, randomUUID(), 1, randomUUID());
    await objects.put(orphan, Buffer.from("{}"));
    const swept = await handler({ sweep: "payloads" });
    assert.equal(swept.payloads.deleted, 1);
    assert.equal(await exists(orphan), false);
    assert.deepEqual(counted, [
      ["PayloadsSwept", 1],
      ["RetentionTruncations", 0],
    ]);
  });
});
