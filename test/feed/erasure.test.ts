/**
 * The global feed with payloads (SPEC sections 10 and 13) of events with personal data: the values while the
 * subject's key lives, "[erased]" with erased: true after its erasure, the rest of each event intact.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { RawJson } from "#store/raw-json.ts";
import { payloadTextOf, uniqueStreamType } from "#test/support/store.ts";
import { changeFeed, deliverUntilDone, feedSuite, readWholeFeed } from "./support.ts";

describe("the global feed of personal data", () => {
  it("with payloads shows the values, then [erased] and erased: true once the subject is erased", async () => {
    const { store, records } = await feedSuite();
    const streamType = uniqueStreamType("feed-personal");
    const subject = `customer-${randomUUID()}`;
    const streamId = randomUUID();
    await store.append(streamType, streamId, "no-stream", [
      {
        eventType: "Registered",
        payload: new RawJson('{"email":"ada@example.com","plan":"gold"}'),
        subject,
        personalData: ["/payload/email"],
      },
      { eventType: "PlanChanged", payload: new RawJson('{"plan":"silver"}') },
    ]);
    await deliverUntilDone(changeFeed(store), await records([streamId]));
    const read = async () =>
      (await readWholeFeed(store, { streamTypes: [streamType], includePayload: true })).events.filter(
        (event) => event.streamId === streamId,
      );

    const [live, plain] = await read();
    assert.equal(payloadTextOf(live?.payload ?? new RawJson("")), '{"email":"ada@example.com","plan":"gold"}');
    assert.equal(live?.subject, subject);
    assert.deepEqual(live?.personalData, ["/payload/email"]);
    assert.equal(live?.erased, undefined);

    await store.eraseSubject(subject, "dpo");
    const [erased, unchanged] = await read();
    assert.equal(payloadTextOf(erased?.payload ?? new RawJson("")), '{"email":"[erased]","plan":"gold"}');
    assert.equal(erased?.erased, true);
    assert.equal(payloadTextOf(unchanged?.payload ?? new RawJson("")), '{"plan":"silver"}');
    assert.equal(unchanged?.erased, undefined);
    assert.equal(plain?.subject, undefined);

    // Without payloads a page still names the subject of an event with personal data (nothing else of it).
    const bare = (await readWholeFeed(store, { streamTypes: [streamType] })).events.filter(
      (event) => event.streamId === streamId,
    );
    assert.deepEqual(
      bare.map((event) => [event.subject, event.payload, event.erased]),
      [
        [subject, undefined, undefined],
        [undefined, undefined, undefined],
      ],
    );
  });
});
