import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { InvalidInputError, StreamNotFoundError, StreamsConflictError } from "#store/errors.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { storedRevisions, testStreamStore } from "#test/support/store.ts";

const payload = new RawJson('{"n":1}');
const event = (eventType: string, eventId?: string) => ({ eventType, payload, ...(eventId ? { eventId } : {}) });

describe("multi-stream append", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("appends to several streams at once, each at its own expectation, and answers each stream's revisions", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.append("account", b, "no-stream", [event("Opened")]);
    await store.append("ledger", c, "no-stream", [event("Opened"), event("Closed")]);
    const result = await store.appendToStreams([
      { streamType: "account", streamId: a, expected: "no-stream", events: [event("Opened"), event("Credited")] },
      { streamType: "account", streamId: b, expected: 1, events: [event("Debited")] },
      { streamType: "ledger", streamId: c, expected: "stream-exists", events: [event("Noted")] },
    ]);
    assert.equal(result.retried, false);
    assert.deepEqual(
      result.appends.map((append) => [append.firstRevision, append.lastRevision, append.stream.revision]),
      [
        [1, 2, 2],
        [2, 2, 2],
        [3, 3, 3],
      ],
    );
    assert.deepEqual(await storedRevisions(store, "account", a), [1, 2]);
    assert.deepEqual(await storedRevisions(store, "ledger", c), [1, 2, 3]);
  });

  it("writes nothing when one expectation fails, and names every failed stream with its current revision", async () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await store.append("account", b, "no-stream", [event("Opened"), event("Credited")]);
    await store.append("account", c, "no-stream", [event("Opened")]);
    const error = await store
      .appendToStreams(
        [
          { streamType: "account", streamId: a, expected: "no-stream", events: [event("Opened")] },
          { streamType: "account", streamId: b, expected: 1, events: [event("Debited")] },
          { streamType: "account", streamId: d, expected: "stream-exists", events: [event("Debited")] },
        ],
        [{ streamType: "account", streamId: c, expected: 0 }],
      )
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof StreamsConflictError, String(error));
    assert.deepEqual(
      error.failures.map((failure) => [failure.streamId, failure.expectedRevision, failure.currentRevision]),
      [
        [b, 1, 2],
        [d, "stream-exists", 0],
        [c, 0, 1],
      ],
    );
    await assert.rejects(store.streamDetails("account", a), StreamNotFoundError, "nothing was written");
    assert.deepEqual(await storedRevisions(store, "account", b), [1, 2]);
  });

  it("checks streams it does not write: a check that holds lets the append through, a moved one stops it", async () => {
    const [username, user] = [randomUUID(), randomUUID()];
    await store.append("username", username, "no-stream", [event("Claimed")]);
    await store.appendToStreams(
      [{ streamType: "user", streamId: user, expected: "no-stream", events: [event("Registered")] }],
      [{ streamType: "username", streamId: username, expected: 1 }],
    );
    await store.append("username", username, 1, [event("Released")]);
    const error = await store
      .appendToStreams(
        [{ streamType: "user", streamId: user, expected: 1, events: [event("Renamed")] }],
        [{ streamType: "username", streamId: username, expected: 1 }],
      )
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof StreamsConflictError);
    assert.deepEqual(
      error.failures.map((failure) => failure.currentRevision),
      [2],
    );
    assert.deepEqual(await storedRevisions(store, "user", user), [1]);
  });

  it("a retried multi-append (the same eventIds) writes nothing and answers the original revisions", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const writes = () => [
      { streamType: "account", streamId: a, expected: 0 as const, events: [event("Opened", randomId(a, 1))] },
      { streamType: "account", streamId: b, expected: "any" as const, events: [event("Opened", randomId(b, 1))] },
    ];
    const first = await store.appendToStreams(writes());
    const again = await store.appendToStreams(writes());
    assert.equal(again.retried, true);
    assert.deepEqual(again.appends, first.appends);
    assert.deepEqual(await storedRevisions(store, "account", a), [1]);
    assert.deepEqual(await storedRevisions(store, "account", b), [1]);
  });

  it("refuses a stream named twice, a check of another type, and more than DynamoDB's 100 items", async () => {
    const a = randomUUID();
    const twice = await store
      .appendToStreams(
        [{ streamType: "account", streamId: a, expected: "any", events: [event("Opened")] }],
        [{ streamType: "account", streamId: a, expected: 0 }],
      )
      .catch((caught: unknown) => caught);
    assert.ok(twice instanceof InvalidInputError);
    assert.deepEqual(Object.keys(twice.errors), ["checks[0].streamId"]);

    const many = Array.from({ length: 51 }, () => event("Noted"));
    const tooMany = await store
      .appendToStreams([
        { streamType: "account", streamId: randomUUID(), expected: "any", events: many },
        { streamType: "account", streamId: randomUUID(), expected: "any", events: many },
      ])
      .catch((caught: unknown) => caught);
    assert.ok(tooMany instanceof InvalidInputError);
    assert.match(tooMany.message, /at most 100 items.*102/);

    await store.append("account", a, "no-stream", [event("Opened")]);
    const otherType = await store
      .appendToStreams(
        [{ streamType: "account", streamId: randomUUID(), expected: "any", events: [event("Opened")] }],
        [{ streamType: "ledger", streamId: a, expected: 1 }],
      )
      .catch((caught: unknown) => caught);
    assert.ok(otherType instanceof StreamNotFoundError);
  });

  it("racing transfers between accounts: every append is all or nothing, revisions stay gap-free", async () => {
    const accounts = Array.from({ length: 4 }, () => randomUUID());
    for (const account of accounts) await store.append("account", account, "no-stream", [event("Opened")]);
    let transfers = 0;
    let conflicts = 0;
    const writer = async (index: number) => {
      for (let round = 0; round < 15; round++) {
        const from = accounts[(index + round) % accounts.length] as string;
        const to = accounts[(index + round + 1) % accounts.length] as string;
        const [fromHead, toHead] = await Promise.all([
          store.streamDetails("account", from),
          store.streamDetails("account", to),
        ]);
        try {
          await store.appendToStreams([
            { streamType: "account", streamId: from, expected: fromHead.revision, events: [event("Debited")] },
            { streamType: "account", streamId: to, expected: toHead.revision, events: [event("Credited")] },
          ]);
          transfers++;
        } catch (error) {
          if (!(error instanceof StreamsConflictError)) throw error;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, index) => writer(index)));
    let debits = 0;
    let credits = 0;
    for (const account of accounts) {
      const revisions = await storedRevisions(store, "account", account);
      assert.deepEqual(
        revisions,
        Array.from({ length: revisions.length }, (_, index) => index + 1),
      );
      const page = await store.readEvents("account", account, { direction: "forward", limit: 1000 });
      debits += page.events.filter((stored) => stored.eventType === "Debited").length;
      credits += page.events.filter((stored) => stored.eventType === "Credited").length;
    }
    assert.equal(debits, transfers);
    assert.equal(credits, transfers, "every transfer wrote both sides, or neither");
    assert.ok(conflicts > 0, "the writers did race");
  });
});

/** A stable eventId per stream and revision, so that a retry sends the same ones. */
function randomId(streamId: string, revision: number): string {
  return `${streamId.slice(0, 24)}${String(revision).padStart(12, "0")}`;
}
