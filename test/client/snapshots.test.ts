// Snapshots through the client (SPEC section 12), against real local mode: put and read back, and loadState, which
// gives the same state and revision with and without a snapshot, and writes one with snapshotEvery.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  EventStoreClient,
  type LoadStateOptions,
  type RecordedEvent,
  SnapshotSuperseded,
  WrongExpectedRevision,
} from "../../client/index.ts";
import { problem, scriptedServer } from "./support.ts";

interface Tally {
  count: number;
  total: number;
}

const tally = (schema: string, extra: Partial<LoadStateOptions<Tally>> = {}): LoadStateOptions<Tally> => ({
  schema,
  initial: { count: 0, total: 0 },
  reduce: (state: Tally, event: RecordedEvent) => ({
    count: state.count + 1,
    total: state.total + (event.payload as { n: number }).n,
  }),
  ...extra,
});

describe("snapshots through EventStoreClient, against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  let client: EventStoreClient;
  before(async () => {
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "client-snapshots-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
    client = new EventStoreClient({ url: server.url, auth: "none" });
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  /** A stream of `count` events with payloads {n: 1}, {n: 2}, …; its id. */
  async function streamOf(streamType: string, count: number): Promise<string> {
    const streamId = randomUUID();
    const events = Array.from({ length: count }, (_, index) => ({ eventType: "Added", payload: { n: index + 1 } }));
    await client.append(streamType, streamId, events, { expectedRevision: "no-stream" });
    return streamId;
  }

  it("puts a snapshot and reads it back; none of another schema", async () => {
    const streamType = uniqueStreamType("tally");
    const id = await streamOf(streamType, 2);
    const put = await client.putSnapshot(streamType, id, { revision: 2, schema: "tally-v1", state: { count: 2 } });
    assert.deepEqual([put.revision, put.schema, put.streamId], [2, "tally-v1", id]);
    const latest = await client.getLatestSnapshot<{ count: number }>(streamType, id, "tally-v1");
    assert.deepEqual(latest?.state, { count: 2 });
    assert.equal(await client.getLatestSnapshot(streamType, id, "tally-v2"), undefined);
    assert.equal(await client.getLatestSnapshot(streamType, randomUUID(), "tally-v1"), undefined);
    await assert.rejects(
      client.putSnapshot(streamType, id, { revision: 3, schema: "tally-v1", state: {} }),
      (error: unknown) => error instanceof WrongExpectedRevision && error.currentRevision === 2,
    );
    await assert.rejects(
      client.putSnapshot(streamType, id, { revision: 1, schema: "tally-v1", state: {} }),
      (error: unknown) => error instanceof SnapshotSuperseded && error.snapshotRevision === 2,
    );
  });

  it("loadState gives the same state and revision with and without a snapshot", async () => {
    const streamType = uniqueStreamType("tally");
    const id = await streamOf(streamType, 7);
    const folded = await client.loadState(streamType, id, tally("tally-v1", { pageSize: 3 }));
    assert.deepEqual(folded.state, { count: 7, total: 28 });
    assert.equal(folded.revision, 7);
    assert.equal(folded.snapshotRevision, undefined);
    assert.equal(folded.eventsFolded, 7);

    await client.putSnapshot(streamType, id, { revision: 4, schema: "tally-v1", state: { count: 4, total: 10 } });
    const fromSnapshot = await client.loadState(streamType, id, tally("tally-v1"));
    assert.deepEqual(
      [fromSnapshot.state, fromSnapshot.revision, fromSnapshot.snapshotRevision, fromSnapshot.eventsFolded],
      [folded.state, 7, 4, 3],
    );
    // A snapshot at the head: nothing left to fold.
    await client.putSnapshot(streamType, id, { revision: 7, schema: "tally-v1", state: folded.state });
    const atHead = await client.loadState(streamType, id, tally("tally-v1"));
    assert.deepEqual([atHead.state, atHead.revision, atHead.eventsFolded], [folded.state, 7, 0]);
  });

  it("loadState of a stream that does not exist is the initial state at revision 0", async () => {
    const loaded = await client.loadState(uniqueStreamType("tally"), randomUUID(), tally("tally-v1"));
    assert.deepEqual([loaded.state, loaded.revision], [{ count: 0, total: 0 }, 0]);
  });

  it("snapshotEvery puts a snapshot once that many events were folded, which the next load starts from", async () => {
    const streamType = uniqueStreamType("tally");
    const id = await streamOf(streamType, 3);
    const few = await client.loadState(streamType, id, tally("tally-v1", { snapshotEvery: 5 }));
    assert.equal(few.snapshotPut, undefined);
    assert.equal(await client.getLatestSnapshot(streamType, id, "tally-v1"), undefined);

    await client.append(
      streamType,
      id,
      [3, 4].map((n) => ({ eventType: "Added", payload: { n: n + 1 } })),
      {
        expectedRevision: 3,
      },
    );
    const enough = await client.loadState(streamType, id, tally("tally-v1", { snapshotEvery: 5 }));
    assert.equal(enough.snapshotPut?.revision, 5);
    const snapshot = await client.getLatestSnapshot<Tally>(streamType, id, "tally-v1");
    assert.deepEqual([snapshot?.revision, snapshot?.state], [5, { count: 5, total: 15 }]);
    const next = await client.loadState(streamType, id, tally("tally-v1", { snapshotEvery: 5 }));
    assert.deepEqual(
      [next.state, next.revision, next.snapshotRevision, next.snapshotPut],
      [enough.state, 5, 5, undefined],
    );
  });
});

describe("loadState's snapshot is best effort", () => {
  it("a newer snapshot stored meanwhile (409 snapshot-superseded) is ignored", async () => {
    const stream = { streamId: randomUUID(), streamType: "tally" };
    const events = [1, 2].map((revision) => ({
      ...stream,
      revision,
      eventType: "Added",
      eventId: randomUUID(),
      payload: { n: revision },
      createdAt: "2026-01-02T03:04:05.678Z",
    }));
    const server = await scriptedServer([
      { status: 404, body: problem("snapshot-not-found", 404) },
      { status: 200, body: { eventPage: { events, hasMore: false, lastEvaluatedRevision: 2 } } },
      { status: 409, body: problem("snapshot-superseded", 409, { snapshotRevision: 9 }) },
    ]);
    try {
      const client = new EventStoreClient({ url: server.url, auth: "none" });
      const loaded = await client.loadState("tally", stream.streamId, tally("tally-v1", { snapshotEvery: 1 }));
      assert.deepEqual([loaded.state, loaded.revision, loaded.snapshotPut], [{ count: 2, total: 3 }, 2, undefined]);
      assert.deepEqual(
        server.requests.map((request) => `${request.method} ${request.target.split("?")[0]}`),
        [
          `GET /streams/tally/${stream.streamId}/snapshots/latest`,
          `GET /streams/tally/${stream.streamId}/events`,
          `PUT /streams/tally/${stream.streamId}/snapshots`,
        ],
      );
      assert.deepEqual(JSON.parse(server.requests[2]?.body ?? ""), {
        revision: 2,
        schema: "tally-v1",
        state: { count: 2, total: 3 },
      });
    } finally {
      await server.close();
    }
  });
});
