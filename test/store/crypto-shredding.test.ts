/**
 * Personal data and its erasure by crypto-shredding in the store (SPEC section 13), against DynamoDB Local: values
 * sealed on append with the subject's data key and read back decrypted; after an erasure every read shows them as
 * "[erased]" with `erased: true`, the rest of each event intact; retries stay idempotent; racing first appends of a
 * new subject share one key; an erased subject takes no personal data again.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { SubjectErasedError, TooLargeError } from "#store/errors.ts";
import { countingKeyWrapper, localKeyWrapper } from "#store/key-wrapping.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson, type StoredPayload } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { eventsTable, payloadTextOf, subjectKeysTable, testStreamStore, testSubjectKeys } from "#test/support/store.ts";

/** An event's payload text; a test that meets no event fails here. */
const textOf = (event: { payload: RawJson | StoredPayload } | undefined) =>
  payloadTextOf((event as { payload: RawJson | StoredPayload }).payload);
const json = (value: unknown) => new RawJson(JSON.stringify(value));
const subjectId = () => `customer-${randomUUID()}`;

function personalEvent(subject: string, pointers: string[], eventId?: string) {
  return {
    eventType: "CustomerRegistered",
    payload: new RawJson('{"name":"Ada Lovelace","email":"ada@example.com","plan":"gold","tags":[1,2]}'),
    metadata: json({ ip: "192.0.2.1", source: "web" }),
    subject,
    personalData: pointers,
    ...(eventId ? { eventId } : {}),
  };
}

async function readAll(store: StreamStore, streamType: string, streamId: string): Promise<RecordedEvent[]> {
  return (await store.readEvents(streamType, streamId, { direction: "forward", limit: 100 })).events;
}

/** A key wrapper that counts its calls (KMS calls in AWS). */
const countingWrapper = () => countingKeyWrapper(localKeyWrapper(Buffer.alloc(32, 7)));

describe("personal data (crypto-shredding)", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("reads back path values decrypted, byte for byte, while the subject's key lives", async () => {
    const streamId = randomUUID();
    const subject = subjectId();
    await store.append("customer", streamId, "no-stream", [personalEvent(subject, ["/payload/email", "/metadata/ip"])]);
    const [event] = await readAll(store, "customer", streamId);
    assert.equal(textOf(event), '{"name":"Ada Lovelace","email":"ada@example.com","plan":"gold","tags":[1,2]}');
    assert.equal(event?.metadata?.text, '{"ip":"192.0.2.1","source":"web"}');
    assert.equal(event?.subject, subject);
    assert.deepEqual(event?.personalData, ["/payload/email", "/metadata/ip"]);
    assert.equal(event?.erased, undefined);
    assert.equal(event?.sealed, undefined, "no ciphertext leaves the store");
  });

  it("keeps no personal value in the event item: placeholders there, the values sealed", async () => {
    const streamId = randomUUID();
    await store.append("customer", streamId, "no-stream", [personalEvent(subjectId(), ["/payload/email"])]);
    const { Item } = await testDynamoDb().client.send(
      new GetCommand({ TableName: eventsTable, Key: { pk: streamId, sk: 1 } }),
    );
    assert.equal(Item?.payload, '{"name":"Ada Lovelace","email":"[erased]","plan":"gold","tags":[1,2]}');
    assert.ok(Item?.sealed instanceof Uint8Array);
    assert.ok(!Buffer.from(Item.sealed).toString("latin1").includes("ada@example.com"));
  });

  it("after erasure shows each personal value as [erased] with erased: true, the rest intact", async () => {
    const streamId = randomUUID();
    const subject = subjectId();
    await store.append("customer", streamId, "no-stream", [
      personalEvent(subject, ["/payload/email", "/payload/tags/1", "/metadata/ip"]),
      { ...personalEvent(subject, ["/payload"]), eventType: "CustomerNoted" },
      { eventType: "PlanChanged", payload: json({ plan: "silver" }) },
    ]);
    const erasure = await store.eraseSubject(subject, "arn:aws:iam::1:user/dpo");
    assert.equal(erasure.subject, subject);
    assert.equal(erasure.erasedBy, "arn:aws:iam::1:user/dpo");
    const [first, second, third] = await readAll(store, "customer", streamId);
    assert.equal(textOf(first), '{"name":"Ada Lovelace","email":"[erased]","plan":"gold","tags":[1,"[erased]"]}');
    assert.equal(first?.metadata?.text, '{"ip":"[erased]","source":"web"}');
    assert.equal(first?.erased, true);
    assert.equal(first?.subject, subject);
    assert.equal(textOf(second), '"[erased]"');
    assert.equal(second?.erased, true);
    assert.equal(textOf(third), '{"plan":"silver"}');
    assert.equal(third?.erased, undefined);
  });

  it("answers the first erasure again when a subject is erased twice", async () => {
    const subject = subjectId();
    await store.append("customer", randomUUID(), "no-stream", [personalEvent(subject, ["/payload/email"])]);
    const first = await store.eraseSubject(subject, "first-caller");
    const second = await store.eraseSubject(subject, "second-caller");
    assert.deepEqual(second, first);
  });

  it("refuses personal data for an erased subject (SubjectErasedError) and writes nothing", async () => {
    const subject = subjectId();
    await store.eraseSubject(subject, "dpo");
    const streamId = randomUUID();
    await assert.rejects(
      store.append("customer", streamId, "no-stream", [personalEvent(subject, ["/payload/email"])]),
      SubjectErasedError,
    );
    await assert.rejects(readAll(store, "customer", streamId), /does not exist/);
  });

  it("recognises a retried append with personal data by its MAC, though its ciphertext differs", async () => {
    const streamId = randomUUID();
    const subject = subjectId();
    const eventId = randomUUID();
    const first = await store.append("customer", streamId, "any", [
      personalEvent(subject, ["/payload/email"], eventId),
    ]);
    const retried = await store.append("customer", streamId, "any", [
      personalEvent(subject, ["/payload/email"], eventId),
    ]);
    assert.deepEqual(retried, first);
    const exact = await store.append("customer", streamId, 0, [personalEvent(subject, ["/payload/email"], eventId)]);
    assert.deepEqual(exact, first);
    assert.equal((await readAll(store, "customer", streamId)).length, 1);
  });

  it("gives racing first appends of a new subject one key: every event stays readable", async () => {
    const wrapper = countingWrapper();
    // Separate stores: separate processes with separate caches, racing on the conditional put of the key.
    const stores = await Promise.all(
      Array.from(
        { length: 5 },
        async () => (await testStreamStore({ subjectKeys: await testSubjectKeys(wrapper) })).store,
      ),
    );
    const subject = subjectId();
    const streams = stores.map(() => randomUUID());
    await Promise.all(
      stores.map((each, index) =>
        each.append("customer", streams[index] as string, "no-stream", [personalEvent(subject, ["/payload/email"])]),
      ),
    );
    for (const [index, each] of stores.entries()) {
      for (const streamId of streams) {
        const [event] = await readAll(each, "customer", streamId);
        assert.match(textOf(event), /ada@example\.com/, `store ${index} reads ${streamId}`);
      }
    }
    const { Item } = await testDynamoDb().client.send(
      new GetCommand({ TableName: subjectKeysTable, Key: { subject } }),
    );
    assert.ok(Item?.wrappedKey instanceof Uint8Array);
  });

  it("caches a data key: a page of one subject's events costs one unwrap, a cold process one more", async () => {
    const wrapper = countingWrapper();
    const { store: writer } = await testStreamStore({ subjectKeys: await testSubjectKeys(wrapper) });
    const subject = subjectId();
    const streamId = randomUUID();
    const events = Array.from({ length: 10 }, () => personalEvent(subject, ["/payload/email"]));
    await writer.append("customer", streamId, "no-stream", events);
    assert.deepEqual(wrapper.calls, { newKey: 1, unwrap: 0 });
    await readAll(writer, "customer", streamId);
    assert.deepEqual(wrapper.calls, { newKey: 1, unwrap: 0 }, "the writer's cache holds the key");
    const { store: cold } = await testStreamStore({ subjectKeys: await testSubjectKeys(wrapper) });
    await readAll(cold, "customer", streamId);
    await readAll(cold, "customer", streamId);
    assert.deepEqual(wrapper.calls, { newKey: 1, unwrap: 1 });
  });

  it("refuses personal data in a payload too large to keep inline, naming the limit", async () => {
    const { store: small } = await testStreamStore({
      payloads: { objects: undefined as never, thresholdBytes: 100 },
    });
    const event = {
      ...personalEvent(subjectId(), ["/payload/email"]),
      payload: json({ email: "x", pad: "y".repeat(200) }),
    };
    await assert.rejects(small.append("customer", randomUUID(), "no-stream", [event]), (error: unknown) => {
      assert.ok(error instanceof TooLargeError);
      assert.match(error.message, /personal data is kept inline/);
      return true;
    });
  });

  it("shows personal values on the DCB read and the global feed's payloads after opening", async () => {
    const subject = subjectId();
    const tag = `customer:${randomUUID()}`;
    await store.appendDcb([{ ...personalEvent(subject, ["/payload/email"]), tags: [tag] }]);
    const read = await store.readDcb({ items: [{ tags: [tag] }] }, 0, 10);
    assert.match(textOf(read.events[0]), /ada@example\.com/);
    assert.equal(read.events[0]?.subject, subject);
    await store.eraseSubject(subject, "dpo");
    const erased = await store.readDcb({ items: [{ tags: [tag] }] }, 0, 10);
    assert.match(textOf(erased.events[0]), /"email":"\[erased\]"/);
    assert.equal(erased.events[0]?.erased, true);
  });
});

describe("snapshots of a data subject", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("seal the whole state: read back while the key lives, [erased] with erased: true after", async () => {
    const streamId = randomUUID();
    const subject = subjectId();
    await store.append("customer", streamId, "no-stream", [personalEvent(subject, ["/payload"])]);
    const state = new RawJson('{"email":"ada@example.com","orders":3}');
    await store.putSnapshot("customer", streamId, { revision: 1, schema: "customer-v1", state, subject });
    const { Item } = await testDynamoDb().client.send(
      new GetCommand({ TableName: eventsTable, Key: { pk: `snapshot#${streamId}#customer-v1`, sk: 0 } }),
    );
    assert.equal(Item?.state, '"[erased]"', "the item keeps no personal value");
    const live = await store.latestSnapshot("customer", streamId, "customer-v1");
    assert.equal(live?.state.text, '{"email":"ada@example.com","orders":3}');
    assert.equal(live?.subject, subject);
    assert.equal(live?.erased, undefined);
    await store.eraseSubject(subject, "dpo");
    const erased = await store.latestSnapshot("customer", streamId, "customer-v1");
    assert.equal(erased?.state.text, '"[erased]"');
    assert.equal(erased?.erased, true);
  });
});
