import assert from "node:assert/strict";
import { test } from "node:test";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { matchesFilterPattern } from "#local/change-feed/event-filter.ts";

const insertOf = (newImage: Record<string, unknown>) => ({ eventName: "INSERT", dynamodb: { NewImage: newImage } });

test("the change-feed filter accepts inserts of items with a string eventId", () => {
  assert.equal(matchesFilterPattern(changeFeedFilterPattern, insertOf({ eventId: { S: "e1" }, pk: { S: "p" } })), true);
});

test("the change-feed filter rejects modifications, removals and items without a string eventId", () => {
  const event = { eventId: { S: "e1" } };
  assert.equal(
    matchesFilterPattern(changeFeedFilterPattern, { eventName: "MODIFY", dynamodb: { NewImage: event } }),
    false,
  );
  assert.equal(matchesFilterPattern(changeFeedFilterPattern, { eventName: "REMOVE", dynamodb: { Keys: {} } }), false);
  assert.equal(matchesFilterPattern(changeFeedFilterPattern, insertOf({ pk: { S: "p" } })), false);
  assert.equal(matchesFilterPattern(changeFeedFilterPattern, insertOf({ eventId: { N: "1" } })), false);
  assert.equal(matchesFilterPattern(changeFeedFilterPattern, { eventName: "INSERT" }), false);
});

test("exists:false matches only an absent leaf, as in Lambda's filter syntax", () => {
  const pattern = { dynamodb: { NewImage: { eventId: { S: [{ exists: false }] } } } };
  assert.equal(matchesFilterPattern(pattern, insertOf({})), true);
  assert.equal(matchesFilterPattern(pattern, insertOf({ eventId: { S: "e" } })), false);
});

test("an unsupported filter condition is refused rather than matched differently from AWS", () => {
  assert.throws(() => matchesFilterPattern({ eventName: [{ prefix: "IN" } as never] }, { eventName: "INSERT" }));
});
