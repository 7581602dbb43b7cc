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
