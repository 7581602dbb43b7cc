/**
 * The Dynamic Consistency Boundary against DynamoDB Local: the dcb.events specification's own examples, raced by
 * many concurrent deciders (the invariant must hold in every run), and the edges of positions and conditions.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { AppendConditionFailedError } from "#store/errors.ts";
import type { DcbEvent, DcbQuery, SequencedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { type CapacityLog, payloadTextOf, testStreamStore } from "#test/support/store.ts";

const dcbEvent = (eventType: string, tags: string[], data: unknown = {}): DcbEvent => ({
  eventType,
  tags,
  payload: new RawJson(JSON.stringify(data)),
});

/** Reads, folds, appends on the read's condition; again on a conflict (what the client's `decide` does). */
async function decide<State>(
  store: StreamStore,
  query: DcbQuery,
  initial: State,
  fold: (state: State, event: SequencedEvent) => State,
  decision: (state: State) => DcbEvent[],
): Promise<{ appended: boolean; conflicts: number }> {
  for (let conflicts = 0; ; conflicts++) {
    const read = await store.readDcb(query, 0, 1000);
    const events = decision(read.events.reduce(fold, initial));
    if (events.length === 0) return { appended: false, conflicts };
    try {
      await store.appendDcb(events, read.appendCondition);
      return { appended: true, conflicts };
    } catch (error) {
      if (!(error instanceof AppendConditionFailedError)) throw error;
    }
  }
}

describe("dynamic consistency boundary", () => {
  let store: StreamStore;
  let capacity: CapacityLog;
  before(async () => {
    ({ store, capacity } = await testStreamStore());
  });

  it("course capacity: 12 students race for 3 seats, exactly 3 get one", async () => {
    const course = `course:${randomUUID()}`;
    await store.appendDcb([dcbEvent("CourseDefined", [course], { capacity: 3 })]);
    const query: DcbQuery = { items: [{ types: ["CourseDefined", "StudentSubscribedToCourse"], tags: [course] }] };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        decide(
          store,
          query,
          { capacity: 0, subscribed: 0 },
          (state, event) =>
            event.eventType === "CourseDefined"
              ? { ...state, capacity: (JSON.parse(payloadTextOf(event.payload)) as { capacity: number }).capacity }
              : { ...state, subscribed: state.subscribed + 1 },
          (state) =>
            state.subscribed < state.capacity
              ? [dcbEvent("StudentSubscribedToCourse", [course, `student:${index}`])]
              : [],
        ),
      ),
    );
    assert.equal(outcomes.filter((outcome) => outcome.appended).length, 3);
    assert.ok(
      outcomes.some((outcome) => outcome.conflicts > 0),
      "the deciders did race",
    );
    const { events } = await store.readDcb(query, 0, 1000);
    assert.equal(events.filter((event) => event.eventType === "StudentSubscribedToCourse").length, 3);
  });

  it("unique usernames: 10 registrations of one name race, exactly one wins", async () => {
    const username = `username:${randomUUID()}`;
    const query: DcbQuery = { items: [{ types: ["AccountRegistered"], tags: [username] }] };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        decide(
          store,
          query,
          false,
          () => true,
          (taken) => (taken ? [] : [dcbEvent("AccountRegistered", [username, `account:${index}`])]),
        ),
      ),
    );
    assert.equal(outcomes.filter((outcome) => outcome.appended).length, 1);
  });

  it("a student subscribes to at most 3 courses: 8 courses race, both tags' rules hold", async () => {
    const student = `student:${randomUUID()}`;
    const courses = Array.from({ length: 8 }, () => `course:${randomUUID()}`);
    for (const course of courses) await store.appendDcb([dcbEvent("CourseDefined", [course], { capacity: 10 })]);
    const outcomes = await Promise.all(
      courses.map((course) =>
        decide(
          store,
          {
            items: [
              { types: ["CourseDefined", "StudentSubscribedToCourse"], tags: [course] },
              { types: ["StudentSubscribedToCourse"], tags: [student] },
            ],
          },
          { ofStudent: 0 },
          (state, event) =>
            event.eventType === "StudentSubscribedToCourse" && event.tags.includes(student)
              ? { ofStudent: state.ofStudent + 1 }
              : state,
          (state) => (state.ofStudent < 3 ? [dcbEvent("StudentSubscribedToCourse", [course, student])] : []),
        ),
      ),
    );
    assert.equal(outcomes.filter((outcome) => outcome.appended).length, 3);
    const { events } = await store.readDcb({ items: [{ tags: [student] }] }, 0, 1000);
    assert.equal(events.length, 3);
  });

  it("a read of tags at different positions raises the lower: an event on it afterwards fails the condition", async () => {
    const [a, b] = [`a:${randomUUID()}`, `b:${randomUUID()}`];
    await store.appendDcb([dcbEvent("Noted", [a])]);
    for (let index = 0; index < 5; index++) await store.appendDcb([dcbEvent("Noted", [b])]);
    const query: DcbQuery = { items: [{ tags: [a] }, { tags: [b] }] };
    const read = await store.readDcb(query, 0, 1000);
    assert.equal(read.events.length, 6);
    // An append on `a` alone, after the read: its position must be above the one the read answered.
    const late = await store.appendDcb([dcbEvent("Noted", [a])]);
    assert.ok(late.firstPosition > read.appendCondition.after);
    await assert.rejects(store.appendDcb([dcbEvent("Decided", [a, b])], read.appendCondition), (error: unknown) => {
      assert.ok(error instanceof AppendConditionFailedError);
      assert.equal(error.conflictingPosition, late.firstPosition);
      return true;
    });
  });

  it("only a matching event fails a condition: another type on the same tag moves it on", async () => {
    const tag = `order:${randomUUID()}`;
    const query: DcbQuery = { items: [{ types: ["OrderPlaced"], tags: [tag] }] };
    const read = await store.readDcb(query, 0, 1000);
    assert.deepEqual(read.appendCondition, { failIfEventsMatch: query, after: 0 });
    await store.appendDcb([dcbEvent("OrderNoted", [tag])]);
    await store.appendDcb([dcbEvent("OrderPlaced", [tag, "other:tag-not-in-query"])], read.appendCondition);
    // Now one that matches came after the same position.
    await assert.rejects(
      store.appendDcb([dcbEvent("OrderPlaced", [tag])], read.appendCondition),
      AppendConditionFailedError,
    );
  });

  it("an item matches events that carry all its tags, of one of its types; items are ORed", async () => {
    const [x, y] = [`x:${randomUUID()}`, `y:${randomUUID()}`];
    await store.appendDcb([dcbEvent("A", [x]), dcbEvent("B", [x, y]), dcbEvent("A", [x, y]), dcbEvent("C", [y])]);
    const types = async (query: DcbQuery) =>
      (await store.readDcb(query, 0, 1000)).events.map((event) => event.eventType);
    assert.deepEqual(await types({ items: [{ tags: [x, y] }] }), ["B", "A"]);
    assert.deepEqual(await types({ items: [{ types: ["A"], tags: [x] }] }), ["A", "A"]);
    assert.deepEqual(
      await types({
        items: [
          { types: ["A"], tags: [x, y] },
          { types: ["C"], tags: [y] },
        ],
      }),
      ["A", "C"],
    );
  });

  it("events are stream events: positions follow revisions, reads page after a position, tags show on stream reads", async () => {
    const tag = `cart:${randomUUID()}`;
    const appended = await store.appendDcb(
      Array.from({ length: 5 }, (_, index) => ({ ...dcbEvent("ItemAdded", [tag], { index }), streamType: "cart" })),
    );
    assert.equal(appended.lastPosition - appended.firstPosition, 4);
    const [append] = appended.appends;
    assert.ok(append);
    assert.equal(append.stream.streamType, "cart");
    const page = await store.readEvents("cart", append.stream.streamId, { direction: "forward", limit: 10 });
    assert.deepEqual(
      page.events.map((event) => event.tags),
      Array(5).fill([tag]),
    );

    const first = await store.readDcb({ items: [{ tags: [tag] }] }, 0, 2);
    assert.equal(first.hasMore, true);
    assert.deepEqual(
      first.events.map((event) => JSON.parse(payloadTextOf(event.payload)).index),
      [0, 1],
    );
    const rest = await store.readDcb({ items: [{ tags: [tag] }] }, first.appendCondition.after, 10);
    assert.equal(rest.hasMore, false);
    assert.deepEqual(
      rest.events.map((event) => JSON.parse(payloadTextOf(event.payload)).index),
      [2, 3, 4],
    );
    assert.deepEqual(
      rest.events.map((event) => event.revision),
      [3, 4, 5],
    );
  });

  it("a retried append (the same eventIds) writes nothing and answers the original positions", async () => {
    const tag = `retry:${randomUUID()}`;
    const events = [
      { ...dcbEvent("Noted", [tag]), eventId: randomUUID() },
      { ...dcbEvent("Noted", [tag]), eventId: randomUUID() },
    ];
    const condition = { failIfEventsMatch: { items: [{ tags: [tag] }] }, after: 0 };
    const first = await store.appendDcb(events, condition);
    const again = await store.appendDcb(events, condition);
    assert.deepEqual(again, first);
    assert.equal((await store.readDcb({ items: [{ tags: [tag] }] }, 0, 100)).events.length, 2);
  });

  it("a retry without a condition is recognised by the stream's window; with one, the window is not read first", async () => {
    const tag = `window:${randomUUID()}`;
    const event = { ...dcbEvent("Noted", [tag], { text: "x".repeat(2000) }), eventId: randomUUID() };
    const first = await store.appendDcb([event]);
    assert.deepEqual(await store.appendDcb([event]), first);
    // A stream of 20 events of 2 KB: its window would cost about 10 read units; a conditional append reads its head.
    for (let index = 0; index < 19; index++) await store.appendDcb([{ ...event, eventId: randomUUID() }]);
    const query: DcbQuery = { items: [{ tags: [tag] }] };
    const { appendCondition } = await store.readDcb(query, 0, 1000);
    capacity.clear();
    await store.appendDcb([{ ...event, eventId: randomUUID() }], appendCondition);
    const appendReads = capacity.entries
      .filter((entry) => entry.operation === "append" && entry.capacity.WriteCapacityUnits === undefined)
      .reduce((sum, entry) => sum + (entry.capacity.CapacityUnits ?? 0), 0);
    assert.ok(appendReads <= 1, `the append read ${appendReads} units of its stream`);
  });

  it("payloads larger than a tag entry copies are read from the event's item", async () => {
    const tag = `doc:${randomUUID()}`;
    const big = { text: "x".repeat(5000) };
    await store.appendDcb([dcbEvent("Drafted", [tag], big), dcbEvent("Noted", [tag], { small: true })]);
    const { events } = await store.readDcb({ items: [{ tags: [tag] }] }, 0, 100);
    assert.deepEqual(
      events.map((event) => JSON.parse(payloadTextOf(event.payload))),
      [big, { small: true }],
    );
  });
});
