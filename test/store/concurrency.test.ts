import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { WrongExpectedRevisionError } from "#store/errors.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { storedRevisions, testStreamStore } from "#test/support/store.ts";

const payload = new RawJson('{"n":1}');

describe("concurrent appends to one stream", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  it("many writers with exact revisions: every revision once, no gap, losers get a conflict", async () => {
    const id = randomUUID();
    await store.append("race", id, "no-stream", [{ eventType: "Started", payload }]);
    const writers = 20;
    const appendsPerWriter = 50;
    let conflicts = 0;
    let written = 1;
    const writer = async (index: number) => {
      let succeeded = 0;
      let known = 1;
      while (succeeded < appendsPerWriter) {
        try {
          const result = await store.append("race", id, known, [{ eventType: `W${index}`, payload }]);
          known = result.stream.revision;
          succeeded++;
          written++;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          conflicts++;
          known = error.currentRevision;
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, (_, index) => writer(index)));
    const revisions = await storedRevisions(store, "race", id);
    assert.equal(revisions.length, writers * appendsPerWriter + 1);
    assert.equal(written, revisions.length);
    assert.deepEqual(
      revisions,
      Array.from({ length: revisions.length }, (_, index) => index + 1),
    );
    assert.ok(conflicts > 0, "the writers did race");
    const details = await store.streamDetails("race", id);
    assert.equal(details.revision, revisions.length);
  });

  it('many writers with "any" and batches: all appended, atomic batches stay contiguous, never a conflict', async () => {
    const id = randomUUID();
    const writers = 10;
    const batchesPerWriter = 10;
    const batchSize = 3;
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const ranges: [number, number][] = [];
        for (let batch = 0; batch < batchesPerWriter; batch++) {
          const events = Array.from({ length: batchSize }, (_, index) => ({
            eventType: `W${writer}-B${batch}-E${index}`,
            payload,
          }));
          const result = await store.append("race", id, "any", events);
          ranges.push([result.firstRevision, result.lastRevision]);
        }
        return ranges;
      }),
    );
    const revisions = await storedRevisions(store, "race", id);
    assert.equal(revisions.length, writers * batchesPerWriter * batchSize);
    assert.deepEqual(
      revisions,
      Array.from({ length: revisions.length }, (_, index) => index + 1),
    );
    for (const [first, last] of results.flat()) assert.equal(last - first + 1, batchSize);
    const page = await store.readEvents("race", id, { direction: "forward", afterRevision: 0, limit: 1000 });
    for (let index = 0; index < page.events.length; index += batchSize) {
      const owner = page.events[index]?.eventType.replace(/-E\d+$/, "");
      for (let offset = 0; offset < batchSize; offset++) {
        assert.equal(page.events[index + offset]?.eventType, `${owner}-E${offset}`, "a batch is never interleaved");
      }
    }
  });
});

describe("retries of appends whose answer was lost, racing other writers", () => {
  /** Each writer appends its own events, then sends the very same request again, as a client whose answer got lost. */
  async function raceWithRetries(expectation: "any" | "stream-exists" | "exact") {
    const id = randomUUID();
    const { store: first } = await testStreamStore();
    await first.append("retry-race", id, "no-stream", [{ eventType: "Started", payload }]);
    const writers = 10;
    const appendsPerWriter = 8;
    const sent = new Set<string>();
    const writer = async () => {
      // A store of its own per writer: another Lambda instance, which knows nothing of the others' appends.
      const { store } = await testStreamStore();
      for (let n = 0; n < appendsPerWriter; n++) {
        const events = [randomUUID(), randomUUID()].map((eventId) => ({ eventType: "Happened", payload, eventId }));
        for (const event of events) sent.add(event.eventId);
        for (;;) {
          const expected =
            expectation === "exact" ? (await store.streamDetails("retry-race", id)).revision : expectation;
          try {
            const original = await store.append("retry-race", id, expected, events);
            const retried = await store.append("retry-race", id, expected, events);
            assert.deepEqual(
              [retried.firstRevision, retried.lastRevision],
              [original.firstRevision, original.lastRevision],
            );
            break;
          } catch (error) {
            // Only an exact expectation may lose the race; it then tries again against the new revision.
            if (!(expectation === "exact" && error instanceof WrongExpectedRevisionError)) throw error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, () => writer()));
    const stored = await storedEventIds(first, id);
    assert.equal(stored.length, 1 + sent.size, "every event once, no re-writes");
    assert.equal(new Set(stored).size, stored.length);
    for (const eventId of sent) assert.ok(stored.includes(eventId));
  }

  async function storedEventIds(store: StreamStore, id: string): Promise<string[]> {
    const page = await store.readEvents("retry-race", id, { direction: "forward", afterRevision: 0, limit: 1000 });
    return page.events.map((event) => event.eventId);
  }

  for (const expectation of ["any", "stream-exists", "exact"] as const) {
    it(`with ${expectation} expectations every eventId is stored once and retries answer the original positions`, () =>
      raceWithRetries(expectation));
  }

  it("a retry that mixes stored and new eventIds is a conflict and writes nothing", async () => {
    const { store } = await testStreamStore();
    const id = randomUUID();
    const stored = { eventType: "A", payload, eventId: randomUUID() };
    await store.append("retry-race", id, "no-stream", [stored]);
    const fresh = { eventType: "B", payload, eventId: randomUUID() };
    for (const expected of ["any", "stream-exists", 0] as const) {
      await assert.rejects(store.append("retry-race", id, expected, [stored, fresh]), WrongExpectedRevisionError);
    }
    assert.deepEqual(await storedEventIds(store, id), [stored.eventId]);
  });
});
