/**
 * Snapshots in the store (SPEC section 12) against DynamoDB Local, and for large states a real S3 endpoint (s3rver):
 * a snapshot names an existing revision, never replaces a newer one of its schema, is re-put idempotently, hides
 * behind a new schema, and keeps a large state in the bucket (whose object goes again when the put is refused).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { StreamNotFoundError, TooLargeError, WrongExpectedRevisionError } from "#store/errors.ts";
import { type PayloadObjects, s3PayloadObjects } from "#store/payload-objects.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testStreamStore } from "#test/support/store.ts";

interface S3Server {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver ships no types: what the test uses of it.
const S3rver = createRequire(import.meta.url)("s3rver") as new (options: Record<string, unknown>) => S3Server;

const event = (n: number) => ({ eventType: "Counted", payload: new RawJson(JSON.stringify({ n })) });

/** A new stream of type "counter" with `events` events; its id. */
async function streamWith(store: StreamStore, events: number, streamType = "counter"): Promise<string> {
  const streamId = randomUUID();
  const batch = Array.from({ length: events }, (_, index) => event(index + 1));
  await store.append(streamType, streamId, "no-stream", batch);
  return streamId;
}

const state = (text: string) => new RawJson(text);

describe("snapshots", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("a put snapshot is read back with its state byte for byte", async () => {
    const id = await streamWith(store, 3);
    const text = '{ "z": 1, "a": [1.50, "\\u00e9"], "big": 12345678901234567890 }';
    const put = await store.putSnapshot("counter", id, { revision: 3, schema: "count-v1", state: state(text) });
    assert.equal(put.kind, "stored");
    assert.ok(put.kind === "stored" && put.created);
    const latest = await store.latestSnapshot("counter", id, "count-v1");
    assert.ok(latest);
    assert.equal(latest.state.text, text);
    assert.deepEqual(
      { ...latest, state: undefined, createdAt: undefined },
      {
        streamId: id,
        streamType: "counter",
        revision: 3,
        schema: "count-v1",
        stateSize: Buffer.byteLength(text),
        state: undefined,
        createdAt: undefined,
      },
    );
  });

  it("a revision the stream does not have is a conflict with its current revision; no stream is not found", async () => {
    const id = await streamWith(store, 2);
    await assert.rejects(
      store.putSnapshot("counter", id, { revision: 3, schema: "s", state: state("1") }),
      (error: unknown) => error instanceof WrongExpectedRevisionError && error.currentRevision === 2,
    );
    await assert.rejects(
      store.putSnapshot("counter", randomUUID(), { revision: 1, schema: "s", state: state("1") }),
      StreamNotFoundError,
    );
    await assert.rejects(
      store.putSnapshot("other-type", id, { revision: 1, schema: "s", state: state("1") }),
      StreamNotFoundError,
    );
    assert.equal(await store.latestSnapshot("counter", id, "s"), undefined);
  });

  it("an older snapshot never replaces a newer one: it is refused naming the stored revision", async () => {
    const id = await streamWith(store, 5);
    await store.putSnapshot("counter", id, { revision: 4, schema: "s", state: state('"four"') });
    const older = await store.putSnapshot("counter", id, { revision: 2, schema: "s", state: state('"two"') });
    assert.equal(older.kind, "superseded");
    assert.equal(older.kind === "superseded" && older.stored.revision, 4);
    assert.equal((await store.latestSnapshot("counter", id, "s"))?.state.text, '"four"');
    const newer = await store.putSnapshot("counter", id, { revision: 5, schema: "s", state: state('"five"') });
    assert.ok(newer.kind === "stored" && newer.created);
    assert.equal((await store.latestSnapshot("counter", id, "s"))?.state.text, '"five"');
  });

  it("putting the same revision again is idempotent: stored, not created", async () => {
    const id = await streamWith(store, 2);
    const first = await store.putSnapshot("counter", id, { revision: 2, schema: "s", state: state("[2]") });
    const again = await store.putSnapshot("counter", id, { revision: 2, schema: "s", state: state("[2]") });
    assert.ok(first.kind === "stored" && first.created);
    assert.ok(again.kind === "stored" && !again.created);
    assert.equal((await store.latestSnapshot("counter", id, "s"))?.revision, 2);
  });

  it("a new schema hides the old snapshots; another stream type sees none", async () => {
    const id = await streamWith(store, 1);
    await store.putSnapshot("counter", id, { revision: 1, schema: "count-v1", state: state("1") });
    assert.equal(await store.latestSnapshot("counter", id, "count-v2"), undefined);
    assert.equal(await store.latestSnapshot("other-type", id, "count-v1"), undefined);
    assert.equal(await store.latestSnapshot("counter", randomUUID(), "count-v1"), undefined);
  });

  it("without a payload bucket, a state over DynamoDB's 400 KB item is too large", async () => {
    const id = await streamWith(store, 1);
    const big = state(JSON.stringify("x".repeat(410 * 1024)));
    await assert.rejects(store.putSnapshot("counter", id, { revision: 1, schema: "s", state: big }), TooLargeError);
    assert.equal(await store.latestSnapshot("counter", id, "s"), undefined);
  });

  it("is no event: the stream's events and details stay as they were", async () => {
    const id = await streamWith(store, 2);
    await store.putSnapshot("counter", id, { revision: 2, schema: "s", state: state("{}") });
    const page = await store.readEvents("counter", id, { direction: "forward", limit: 10 });
    assert.deepEqual(
      page.events.map((recorded) => recorded.revision),
      [1, 2],
    );
    assert.equal((await store.streamDetails("counter", id)).revision, 2);
  });
});

describe("snapshots with large states in S3", () => {
  let store: StreamStore;
  let objects: PayloadObjects;
  let server: S3Server;
  let directory: string;
  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "snapshots-s3-"));
    server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      directory,
      silent: true,
      configureBuckets: [{ name: "payloads" }],
    });
    const { port } = await server.run();
    objects = s3PayloadObjects({
      bucket: "payloads",
      s3: {
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      },
    });
    ({ store } = await testStreamStore({ payloads: { objects, thresholdBytes: 1024 } }));
  });
  after(async () => {
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const keys = async (streamId: string) => {
    const found: string[] = [];
    for await (const object of objects.list(`snapshots/${streamId}/`)) found.push(object.key);
    return found;
  };

  it("a state over the threshold is kept as an object and read back byte for byte; small ones stay inline", async () => {
    const id = await streamWith(store, 3);
    const text = JSON.stringify({ items: Array.from({ length: 200 }, (_, n) => ({ n, name: `item ${n}` })) });
    assert.ok(text.length > 1024);
    await store.putSnapshot("counter", id, { revision: 2, schema: "s", state: state(text) });
    assert.deepEqual(await keys(id), [`snapshots/${id}/s/2`]);
    const latest = await store.latestSnapshot("counter", id, "s");
    assert.equal(latest?.state.text, text);
    assert.equal(latest?.stateSize, Buffer.byteLength(text));

    // A newer snapshot replaces it, and the object no item names any more goes.
    await store.putSnapshot("counter", id, { revision: 3, schema: "s", state: state(`${text} `) });
    assert.deepEqual(await keys(id), [`snapshots/${id}/s/3`]);
    await store.putSnapshot("counter", id, { revision: 3, schema: "s", state: state(`${text} `) });
    assert.deepEqual(await keys(id), [`snapshots/${id}/s/3`]);
    assert.equal((await store.latestSnapshot("counter", id, "s"))?.state.text, `${text} `);

    const small = await streamWith(store, 1);
    await store.putSnapshot("counter", small, { revision: 1, schema: "s", state: state('"small"') });
    assert.deepEqual(await keys(small), []);
    assert.equal((await store.latestSnapshot("counter", small, "s"))?.state.text, '"small"');
  });

  it("a refused put of a large state deletes its object", async () => {
    const id = await streamWith(store, 4);
    const text = JSON.stringify("y".repeat(5000));
    await store.putSnapshot("counter", id, { revision: 4, schema: "s", state: state("4") });
    const refused = await store.putSnapshot("counter", id, { revision: 3, schema: "s", state: state(text) });
    assert.equal(refused.kind, "superseded");
    assert.deepEqual(await keys(id), []);
    assert.equal((await store.latestSnapshot("counter", id, "s"))?.state.text, "4");
  });
});
