import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { before, describe, it } from "node:test";
import { HttpResponse } from "@smithy/core/protocols";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { interceptExchanges } from "#store/dynamodb-wire.ts";
import { InvalidInputError, StreamNotFoundError, TooLargeError, WrongExpectedRevisionError } from "#store/errors.ts";
import type { NewEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type CapacityLog, payloadTextOf, storedRevisions, testStreamStore } from "#test/support/store.ts";

function event(eventType = "Happened", payload = '{"n":1}', eventId?: string): NewEvent {
  return { eventType, payload: new RawJson(payload), eventId };
}

describe("append", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("appends revision N+1 and answers the stream's new revision and time", async () => {
    const id = randomUUID();
    const first = await store.append("order", id, 0, [event()]);
    const second = await store.append("order", id, 1, [event("Paid")]);
    assert.equal(first.stream.revision, 1);
    assert.equal(second.stream.revision, 2);
    assert.deepEqual([second.firstRevision, second.lastRevision], [2, 2]);
    const page = await store.readEvents("order", id, { direction: "forward", afterRevision: 0, limit: 10 });
    assert.equal(
      page.events[1]?.createdAt,
      second.stream.updatedAt,
      "createdAt of an event is the updatedAt its append returned",
    );
  });

  it("refuses a stale revision with the current revision and writes nothing", async () => {
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event(), event()]);
    await assert.rejects(store.append("order", id, 1, [event("Late")]), (error: unknown) => {
      assert.ok(error instanceof WrongExpectedRevisionError);
      assert.equal(error.currentRevision, 2);
      return true;
    });
    assert.deepEqual(await storedRevisions(store, "order", id), [1, 2]);
  });

  it("refuses a revision beyond the next one, so revisions never have gaps", async () => {
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event()]);
    await assert.rejects(store.append("order", id, 5, [event()]), WrongExpectedRevisionError);
    assert.deepEqual(await storedRevisions(store, "order", id), [1]);
  });

  it("no-stream creates the stream and refuses when it exists", async () => {
    const id = randomUUID();
    const created = await store.append("order", id, "no-stream", [event()]);
    assert.equal(created.stream.revision, 1);
    await assert.rejects(store.append("order", id, "no-stream", [event()]), (error: unknown) => {
      assert.ok(error instanceof WrongExpectedRevisionError);
      assert.equal(error.currentRevision, 1);
      return true;
    });
  });

  it("stream-exists answers not found for a missing stream and appends to an existing one", async () => {
    const id = randomUUID();
    await assert.rejects(store.append("order", id, "stream-exists", [event()]), StreamNotFoundError);
    await store.append("order", id, "no-stream", [event()]);
    const appended = await store.append("order", id, "stream-exists", [event(), event()]);
    assert.deepEqual([appended.firstRevision, appended.lastRevision], [2, 3]);
  });

  it("any appends at the end whatever the revision, creating the stream if needed", async () => {
    const id = randomUUID();
    assert.equal((await store.append("order", id, "any", [event()])).stream.revision, 1);
    assert.equal((await store.append("order", id, "any", [event()])).stream.revision, 2);
  });

  it("appends several events atomically: a conflicting batch writes none of them", async () => {
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event()]);
    await store.append("order", id, 1, [event()]);
    await assert.rejects(
      store.append("order", id, 1, [event("A"), event("B"), event("C")]),
      WrongExpectedRevisionError,
    );
    assert.deepEqual(await storedRevisions(store, "order", id), [1, 2]);
    const batch = await store.append("order", id, 2, [event("A"), event("B"), event("C")]);
    assert.deepEqual([batch.firstRevision, batch.lastRevision, batch.stream.revision], [3, 5, 5]);
  });

  it("a retry with the same eventIds at the same position returns the original result and writes nothing", async () => {
    const id = randomUUID();
    const events = [event("A", "1", randomUUID()), event("B", "2", randomUUID())];
    const original = await store.append("order", id, "no-stream", events);
    const retried = await store.append("order", id, "no-stream", events);
    assert.deepEqual(retried, original);
    const single = event("C", '"c"', randomUUID());
    const appended = await store.append("order", id, 2, [single]);
    await store.append("order", id, 3, [event("D")]); // someone else moves on
    assert.deepEqual(await store.append("order", id, 2, [single]), appended, "a late retry still finds its event");
    assert.deepEqual(await storedRevisions(store, "order", id), [1, 2, 3, 4]);
  });

  it("an event that stands in the idempotency window answers its original position, whatever the expectation", async () => {
    const id = randomUUID();
    const single = event("A", "1", randomUUID());
    await store.append("order", id, "no-stream", [single]);
    await store.append("order", id, 1, [event("B")]);
    for (const expected of [0, 1, "any", "stream-exists"] as const) {
      const retried = await store.append("order", id, expected, [single]);
      assert.deepEqual([retried.firstRevision, retried.lastRevision, retried.stream.revision], [1, 1, 1]);
    }
    assert.deepEqual(await storedRevisions(store, "order", id), [1, 2]);
  });

  it("a retry with the same eventId but another content is a conflict", async () => {
    const id = randomUUID();
    const eventId = randomUUID();
    await store.append("order", id, "no-stream", [event("A", "1", eventId)]);
    await assert.rejects(
      store.append("order", id, "no-stream", [event("A", "2", eventId)]),
      WrongExpectedRevisionError,
    );
  });

  it("a stream of another type is not found", async () => {
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event()]);
    await assert.rejects(store.append("invoice", id, 1, [event()]), StreamNotFoundError);
    await assert.rejects(store.streamDetails("invoice", id), StreamNotFoundError);
  });

  it("refuses an event over DynamoDB's item size with the limit, and writes nothing", async () => {
    const id = randomUUID();
    const big = `"${"x".repeat(400 * 1024)}"`;
    await assert.rejects(store.append("order", id, "no-stream", [event("Big", big)]), (error: unknown) => {
      assert.ok(error instanceof TooLargeError);
      assert.equal(error.limitBytes, 400 * 1024);
      return true;
    });
    await assert.rejects(store.streamDetails("order", id), StreamNotFoundError);
  });

  it("refuses events that are 4 MB together (one transaction's limit)", async () => {
    const chunk = `"${"x".repeat(300 * 1024)}"`;
    const events = Array.from({ length: 15 }, () => event("Chunk", chunk));
    await assert.rejects(store.append("order", randomUUID(), "no-stream", events), TooLargeError);
  });

  it("refuses an append of no events or of more than one transaction holds (100), and writes nothing", async () => {
    // Input rules (stream type, ids, event shape) are the API's; the store guards what DynamoDB itself limits.
    const id = randomUUID();
    await assert.rejects(store.append("order", id, "any", []), InvalidInputError);
    const many = Array.from({ length: 101 }, () => event());
    await assert.rejects(store.append("order", id, "any", many), InvalidInputError);
    await assert.rejects(store.streamDetails("order", id), StreamNotFoundError);
  });

  it("stores the payload as the exact JSON text it was given", async () => {
    const id = randomUUID();
    const payloads = [
      '{"b":1,"a":[1,2,{"z":null}],"big":12345678901234567890}',
      '"a string"',
      "42",
      "null",
      '{ "spaced" : true }',
    ];
    await store.append(
      "order",
      id,
      "no-stream",
      payloads.map((payload) => event("P", payload)),
    );
    const page = await store.readEvents("order", id, { direction: "forward", afterRevision: 0, limit: 10 });
    assert.deepEqual(
      page.events.map((recorded) => payloadTextOf(recorded.payload)),
      payloads,
    );
  });

  it("an append of one small event costs one write unit and at most one strongly consistent read unit", async () => {
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event()]);
    const small = () => event("Paid", `{"note":"${"x".repeat(180)}"}`);
    // A process that has not seen the stream reads its newest event (a total) and puts (per table).
    const other = await testStreamStore();
    await other.store.append("order", id, 1, [small()]);
    const units = (log: CapacityLog) =>
      log.entries.map((entry) => [entry.operation, entry.capacity.CapacityUnits, entry.capacity.Table?.CapacityUnits]);
    assert.deepEqual(units(other.capacity), [
      ["append", 1, undefined],
      ["append", 1, 1],
    ]);
    // The process that wrote revision n knows it exists: appending n+1 is the put alone.
    other.capacity.clear();
    await other.store.append("order", id, 2, [small()]);
    assert.deepEqual(units(other.capacity), [["append", 1, 1]]);
  });

  it("a process that missed others' appends gets a conflict from its stale knowledge, never a gap", async () => {
    const id = randomUUID();
    const other = (await testStreamStore()).store;
    await store.append("order", id, "no-stream", [event()]); // store knows revision 1
    await other.append("order", id, 1, [event()]); // the stream moves on to 2 elsewhere
    await assert.rejects(store.append("order", id, 1, [event("Stale")]), (error: unknown) => {
      assert.ok(error instanceof WrongExpectedRevisionError);
      assert.equal(error.currentRevision, 2);
      return true;
    });
    await store.append("order", id, 2, [event()]);
    assert.deepEqual(await storedRevisions(store, "order", id), [1, 2, 3]);
  });
});

describe("contention that only AWS shows", () => {
  /** The real client, except that the first single-event put meets a concurrent transaction, as it can in AWS. */
  async function storeMeetingATransaction() {
    const { tableName } = await testStreamStore();
    const client = createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint));
    let conflicts = 0;
    // Where every call of the client goes over the wire, answered as DynamoDB answers a put that meets a transaction.
    interceptExchanges(client, async (request, send) => {
      if (request.headers["x-amz-target"] !== "DynamoDB_20120810.PutItem" || conflicts > 0) return send(request);
      conflicts++;
      const document = {
        __type: "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
        message: "Transaction is ongoing for the item",
      };
      return new HttpResponse({
        statusCode: 400,
        headers: { "content-type": "application/x-amz-json-1.0" },
        body: Readable.from([Buffer.from(JSON.stringify(document))]),
      });
    });
    return { store: new StreamStore({ client, tableName }), conflicts: () => conflicts };
  }

  for (const expected of ["any", 1, "stream-exists"] as const) {
    it(`a single-event append (${expected}) that meets TransactionConflictException retries and succeeds`, async () => {
      const { store: plain } = await testStreamStore();
      const id = randomUUID();
      await plain.append("order", id, "no-stream", [event()]);
      const { store, conflicts } = await storeMeetingATransaction();
      const appended = await store.append("order", id, expected, [event("After")]);
      assert.equal(conflicts(), 1);
      assert.equal(appended.firstRevision, 2);
      assert.deepEqual(await storedRevisions(plain, "order", id), [1, 2]);
    });
  }
});
