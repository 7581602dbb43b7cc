import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StoreTable } from "#store/dynamo.ts";
import { StreamHeads } from "#store/heads.ts";

describe("stream heads", () => {
  const heads = () => new StreamHeads(new StoreTable(createDocumentClient({}), "unused", undefined), 3);

  it("remember only revision, type and time, never the payload of the event they are given", () => {
    const known = heads();
    const event = {
      revision: 4,
      streamType: "order",
      updatedAt: "2026-01-01T00:00:00.000Z",
      payload: "x".repeat(1000),
    };
    known.remember("s", event);
    assert.deepEqual(known.known("s"), { revision: 4, streamType: "order", updatedAt: "2026-01-01T00:00:00.000Z" });
  });

  it("keep the newest revision and forget the least recently remembered stream beyond their capacity", () => {
    const known = heads();
    const head = (revision: number) => ({ revision, streamType: "order", updatedAt: "2026-01-01T00:00:00.000Z" });
    known.remember("a", head(5));
    known.remember("a", head(3));
    assert.equal(known.known("a")?.revision, 5);
    for (const stream of ["b", "c", "d"]) known.remember(stream, head(1));
    assert.equal(known.known("a"), undefined);
    assert.equal(known.known("d")?.revision, 1);
  });
});
