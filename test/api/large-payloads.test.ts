/**
 * Payloads beyond DynamoDB's 400 KB through S3 (SPEC section 12), over the API on DynamoDB Local and local mode's
 * S3 (s3rver): appends inline and by upload, reads within the answer's 6 MB and by URL, refused and retried appends,
 * and the TypeScript client doing uploads and URLs by itself.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createApi } from "#api/app.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startHttpServer } from "#local/http-server.ts";
import { type S3Local, startS3Local } from "#local/s3-local.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { sha256 } from "#store/large-payloads.ts";
import { type PayloadObjects, s3PayloadObjects } from "#store/payload-objects.ts";
import { RawJson, StoredPayload } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type CallApi, callApi, testStreamStore } from "#test/support/store.ts";
import { EventStoreClient } from "../../client/index.ts";
import { assertInvalid, assertProblem } from "./support.ts";

/** A JSON object of about `bytes` bytes, its text as sent. */
function bigPayload(bytes: number, mark = "x"): string {
  return JSON.stringify({ mark, filler: mark.repeat(bytes) });
}

describe("large payloads through S3", () => {
  let s3: S3Local;
  let objects: PayloadObjects;
  let call: CallApi;
  let url: string;
  let stopServer: () => Promise<void>;
  let store: StreamStore;
  const keysOf = async (prefix: string) => {
    const keys: string[] = [];
    for await (const object of objects.list(prefix)) keys.push(object.key);
    return keys;
  };

  before(async () => {
    s3 = await startS3Local({ dataDir: undefined });
    objects = s3PayloadObjects({ bucket: s3.bucket, s3: s3.clientConfig });
    ({ store } = await testStreamStore({ payloads: { objects } }));
    const handler = createApi(store);
    call = callApi(handler);
    const server = await startHttpServer({ port: 0, handler });
    url = server.url;
    stopServer = () => server.close();
  });
  after(async () => {
    await stopServer();
    await s3.stop();
  });

  it("keeps a payload over 350 KB in S3 and reads it back byte for byte; small ones stay inline", async () => {
    const id = randomUUID();
    const big = bigPayload(1024 * 1024, "a");
    const body = `{"expectedRevision":0,"events":[{"eventType":"Big","payload":${big}},{"eventType":"Small","payload":{"n":1}}]}`;
    const appended = await call("POST", `/streams/doc/${id}/events`, { body });
    assert.equal(appended.status, 201, appended.body);
    const keys = await keysOf("payloads/");
    const mine = keys.filter((key) => key.includes(`/${id}/`));
    assert.equal(mine.length, 1, "one object: the large payload only");
    assert.match(mine[0] as string, new RegExp(`^payloads/\\d{4}-\\d{2}-\\d{2}T\\d{2}/${id}/1/`));

    const read = await call("GET", `/streams/doc/${id}/events`);
    assert.equal(read.status, 200);
    assert.ok(read.body.includes(big), "the payload's text, exactly as sent");
    assert.deepEqual(read.json.eventPage.events[1].payload, { n: 1 });
    const asString = await call("GET", `/streams/doc/${id}/events`, { query: "payload-encoding=string&limit=1" });
    assert.equal(asString.json.eventPage.events[0].payload, big);
    // Replays read references: a notification carries the reference, never such a payload.
    const forReplay = await store.readEvents("doc", id, { direction: "forward", limit: 10, payloadReferences: true });
    assert.ok(forReplay.events[0]?.payload instanceof StoredPayload);
    assert.equal(forReplay.events[0]?.payload.size, Buffer.byteLength(big));
  });

  it("a page of large and small events stays within 6 MB: what does not fit comes as a URL with size and hash", async () => {
    const id = randomUUID();
    const payloads = Array.from({ length: 5 }, (_, index) => bigPayload(1_500_000, String(index)));
    for (const [index, payload] of payloads.entries()) {
      const body = `{"expectedRevision":${index * 2},"events":[{"eventType":"Big","payload":${payload}},{"eventType":"Small","payload":${index}}]}`;
      assert.equal((await call("POST", `/streams/doc/${id}/events`, { body })).status, 201);
    }
    const read = await call("GET", `/streams/doc/${id}/events`, { query: "limit=100" });
    assert.ok(Buffer.byteLength(read.body) < 6 * 1024 * 1024, `${Buffer.byteLength(read.body)} bytes`);
    const events = read.json.eventPage.events as Record<string, unknown>[];
    assert.equal(events.length, 10);
    const linked = events.filter((event) => event.payloadUrl !== undefined);
    assert.ok(linked.length > 0 && linked.length < 5, `${linked.length} linked`);
    for (const event of linked) {
      const text = await (await fetch(event.payloadUrl as string)).text();
      assert.equal(sha256(text), event.payloadSha256);
      assert.equal(Buffer.byteLength(text), event.payloadSize);
      assert.equal(text, payloads[((event.revision as number) - 1) / 2]);
      assert.equal(event.payload, undefined);
    }
  });

  it("a refused append leaves no object; a retried one writes no second", async () => {
    const id = randomUUID();
    const big = bigPayload(500_000);
    const event = (eventId: string) => `{"eventType":"Big","eventId":"${eventId}","payload":${big}}`;
    const first = `{"expectedRevision":0,"events":[${event(randomUUID())}]}`;
    assert.equal((await call("POST", `/streams/doc/${id}/events`, { body: first })).status, 201);
    const conflict = await call("POST", `/streams/doc/${id}/events`, {
      body: first.replace(/"eventId":"[^"]+"/, `"eventId":"${randomUUID()}"`),
    });
    assertProblem(conflict, 409);
    assert.equal((await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`)).length, 1);

    const eventId = randomUUID();
    const again = `{"expectedRevision":1,"events":[${event(eventId)}]}`;
    const written = await call("POST", `/streams/doc/${id}/events`, { body: again });
    const retried = await call("POST", `/streams/doc/${id}/events`, { body: again });
    assert.equal(retried.status, 201);
    assert.deepEqual(retried.json, written.json);
    assert.equal((await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`)).length, 2);
  });

  it("a DCB read of large inline payloads ends early, within 6 MB, and the next page goes on from it", async () => {
    const tag = `bulky:${randomUUID()}`;
    for (let index = 0; index < 18; index++) {
      await store.appendDcb([
        { eventType: "Bulky", tags: [tag], payload: new RawJson(bigPayload(340_000, String(index % 10))) },
      ]);
    }
    const query = { items: [{ tags: [tag] }] };
    const first = await call("POST", "/dcb/read", { body: { query } });
    assert.ok(Buffer.byteLength(first.body) < 6 * 1024 * 1024, `${Buffer.byteLength(first.body)} bytes`);
    assert.equal(first.json.dcbPage.hasMore, true);
    const after = first.json.dcbPage.appendCondition.after;
    const rest = await call("POST", "/dcb/read", { body: { query, after } });
    assert.equal(first.json.dcbPage.events.length + rest.json.dcbPage.events.length, 18);
  });

  it("a retry that loses to its own committed original (a process with a stale head) keeps the original's object", async () => {
    const { store: first } = await testStreamStore({ payloads: { objects } });
    const { store: stale } = await testStreamStore({ payloads: { objects } });
    const id = randomUUID();
    await first.append("doc", id, "no-stream", [{ eventType: "Small", payload: new RawJson("1") }]);
    await stale.readEvents("doc", id, { direction: "forward", limit: 10 }); // remembers revision 1 as the head
    const event = { eventType: "Big", eventId: randomUUID(), payload: new RawJson(bigPayload(400_000, "s")) };
    const original = await first.append("doc", id, 1, [event]);
    // The stale process skips its read, puts its own object, loses the write, and answers the original.
    assert.deepEqual(await stale.append("doc", id, 1, [event]), original);
    const page = await call("GET", `/streams/doc/${id}/events`, { query: "after-revision=1" });
    assert.equal(page.status, 200, page.body);
    assert.equal(page.json.eventPage.events[0].payload.mark, "s");
    assert.equal((await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`)).length, 1);
  });

  it("a crash between the object's put and the event's write leaves an orphan that the sweep removes", async () => {
    // The same bucket, a table that is not there: the object is put, the write fails without an answer that says
    // it was not applied (as a timeout or a crash would), so the object stays until the sweep looks.
    const client = createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint));
    const broken = new StreamStore({ client, tableName: "no-such-table", payloads: { objects } });
    const id = randomUUID();
    const event = { eventType: "Big", payload: new RawJson(bigPayload(400_000)) };
    await assert.rejects(broken.append("doc", id, "no-stream", [event]));
    const orphans = (await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`));
    assert.equal(orphans.length, 1);
    const { store } = await testStreamStore({ payloads: { objects } });
    // Within its hour nothing may be swept (an append could still commit it); hours later it is gone.
    await store.sweepPayloads(Date.now());
    assert.equal((await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`)).length, 1);
    const swept = await store.sweepPayloads(Date.now() + 3 * 60 * 60 * 1000);
    assert.ok(swept.deleted >= 1);
    assert.deepEqual(
      (await keysOf("payloads/")).filter((key) => key.includes(`/${id}/`)),
      [],
    );
  });

  it("a payload too large for a request goes by upload; a retried append finds the upload again", async () => {
    const created = await call("POST", "/uploads");
    assert.equal(created.status, 201, created.body);
    const { uploadId, url: putUrl, maxBytes } = created.json.upload;
    assert.equal(maxBytes, 100 * 1024 * 1024);
    const huge = bigPayload(7 * 1024 * 1024, "u");
    assert.equal((await fetch(putUrl, { method: "PUT", body: huge })).status, 200);
    const id = randomUUID();
    const body = {
      expectedRevision: "no-stream",
      events: [{ eventType: "Huge", upload: uploadId, eventId: randomUUID() }],
    };
    const appended = await call("POST", `/streams/doc/${id}/events`, { body });
    assert.equal(appended.status, 201, appended.body);
    const retried = await call("POST", `/streams/doc/${id}/events`, { body });
    assert.equal(retried.status, 201, retried.body);
    assert.deepEqual(retried.json, appended.json);
    const [event] = (await call("GET", `/streams/doc/${id}/events`)).json.eventPage.events;
    assert.equal(event.payloadSize, Buffer.byteLength(huge));
    assert.equal(await (await fetch(event.payloadUrl)).text(), huge);
  });

  it("refuses an upload that holds nothing or no JSON, and an event with both payload and upload", async () => {
    const id = randomUUID();
    const append = (event: unknown) =>
      call("POST", `/streams/doc/${id}/events`, { body: { expectedRevision: "any", events: [event] } });
    assertInvalid(await append({ eventType: "E", upload: randomUUID() }), "events[0].upload");
    const { uploadId, url: putUrl } = (await call("POST", "/uploads")).json.upload;
    await fetch(putUrl, { method: "PUT", body: "not json {" });
    assertInvalid(await append({ eventType: "E", upload: uploadId }), "events[0].upload");
    assertInvalid(await append({ eventType: "E", upload: uploadId, payload: 1 }), "events[0].payload");
    assertInvalid(await append({ eventType: "E" }), "events[0].payload");
    assert.equal((await call("GET", `/streams/doc/${id}/details`)).status, 404);
  });

  it("the TypeScript client uploads what a request cannot carry and follows payload URLs by itself", async () => {
    const client = new EventStoreClient({ url, auth: "none" });
    const id = randomUUID();
    const payload = { mark: "client", filler: "c".repeat(6 * 1024 * 1024) };
    await client.append(
      "doc",
      id,
      [
        { eventType: "Huge", payload },
        { eventType: "Small", payload: 1 },
      ],
      {
        expectedRevision: "no-stream",
      },
    );
    const page = await client.readEventPage("doc", id);
    assert.deepEqual(
      page.events.map((event) => event.payload),
      [payload, 1],
    );
    assert.equal(page.events[0]?.payloadUrl, undefined);
  });
});
