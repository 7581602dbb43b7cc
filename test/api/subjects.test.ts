/**
 * Personal data over HTTP (SPEC section 13): events that name a subject and their personal values, read back
 * decrypted; DELETE /subjects/{subject} and what every read answers after it; the 400s of bad personal data and the
 * 410 of an erased subject; erasures listed as operations with who and when.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type CallApi, testApi } from "#test/support/store.ts";
import { assertInvalid, assertProblem, storedEventCount } from "./support.ts";

const customer = () => `customer-${randomUUID()}`;
const registered = (subject: string, personalData: string[] = ["/payload/email", "/metadata/ip"]) => ({
  eventType: "CustomerRegistered",
  payload: { name: "Ada", email: "ada@example.com", plan: "gold" },
  metadata: { ip: "192.0.2.1", channel: "web" },
  subject,
  personalData,
});

describe("personal data and erasure over HTTP", () => {
  let call: CallApi;
  before(async () => {
    ({ call } = await testApi());
  });

  const append = (streamId: string, events: unknown[], streamType = "customer") =>
    call("POST", `/streams/${streamType}/${streamId}/events`, { body: { expectedRevision: "any", events } });
  const read = (streamId: string, streamType = "customer") => call("GET", `/streams/${streamType}/${streamId}/events`);

  it("reads personal values back decrypted, with subject and personalData on the event", async () => {
    const streamId = randomUUID();
    const subject = customer();
    assert.equal((await append(streamId, [registered(subject)])).status, 201);
    const [event] = (await read(streamId)).json.eventPage.events;
    assert.deepEqual(event.payload, { name: "Ada", email: "ada@example.com", plan: "gold" });
    assert.deepEqual(event.metadata, { ip: "192.0.2.1", channel: "web" });
    assert.equal(event.subject, subject);
    assert.deepEqual(event.personalData, ["/payload/email", "/metadata/ip"]);
    assert.equal(event.erased, undefined);
  });

  it("DELETE /subjects/{subject} answers the erasure; reads show [erased] and erased: true; a repeat answers the same", async () => {
    const streamId = randomUUID();
    const subject = customer();
    await append(streamId, [registered(subject), { ...registered(subject, ["/payload"]), eventType: "Noted" }]);
    const erased = await call("DELETE", `/subjects/${encodeURIComponent(subject)}`, {
      caller: "arn:aws:iam::123456789012:user/dpo",
    });
    assert.equal(erased.status, 200, erased.body);
    assert.equal(erased.json.erasure.subject, subject);
    assert.equal(erased.json.erasure.erasedBy, "arn:aws:iam::123456789012:user/dpo");
    const [first, second] = (await read(streamId)).json.eventPage.events;
    assert.deepEqual(first.payload, { name: "Ada", email: "[erased]", plan: "gold" });
    assert.deepEqual(first.metadata, { ip: "[erased]", channel: "web" });
    assert.equal(first.erased, true);
    assert.equal(second.payload, "[erased]");
    assert.equal(second.erased, true);
    const again = await call("DELETE", `/subjects/${encodeURIComponent(subject)}`, { caller: "someone-else" });
    assert.deepEqual(again.json, erased.json);
  });

  it("shows [erased] in the DCB read too", async () => {
    const subject = customer();
    const tag = `customer:${randomUUID()}`;
    const appended = await call("POST", "/dcb/append", {
      body: { events: [{ ...registered(subject), tags: [tag] }] },
    });
    assert.equal(appended.status, 201, appended.body);
    await call("DELETE", `/subjects/${subject}`);
    const page = await call("POST", "/dcb/read", { body: { query: { items: [{ tags: [tag] }] } } });
    const [event] = page.json.dcbPage.events;
    assert.equal(event.payload.email, "[erased]");
    assert.equal(event.erased, true);
    assert.equal(event.subject, subject);
  });

  it("refuses personal data for an erased subject with 410 subject-erased and writes nothing", async () => {
    const subject = customer();
    await call("DELETE", `/subjects/${subject}`);
    const streamId = randomUUID();
    const refused = await append(streamId, [registered(subject)]);
    assertProblem(refused, 410);
    assert.equal(refused.json.type, "tag:event-store,2026:problem:subject-erased");
    assert.equal(refused.json.subject, subject);
    assert.equal(await storedEventCount(call, "customer", streamId), 0);
  });

  it("lists erasures as operations of kind erasure, with who asked and when", async () => {
    const subject = customer();
    const erased = await call("DELETE", `/subjects/${subject}`, { caller: "arn:aws:iam::123456789012:user/dpo" });
    const listed = await call("GET", "/operations", { query: "kind=erasure&limit=1000" });
    assert.equal(listed.status, 200, listed.body);
    const operation = listed.json.operationPage.operations.find(
      (each: { request: { subject?: string } }) => each.request.subject === subject,
    );
    assert.ok(operation, "the erasure is listed");
    assert.equal(operation.kind, "erasure");
    assert.equal(operation.state, "succeeded");
    assert.equal(operation.requestedBy, "arn:aws:iam::123456789012:user/dpo");
    assert.equal(operation.createdAt, erased.json.erasure.erasedAt);
  });

  describe("bad personal data is a 400 naming the field, and nothing is written", () => {
    const refuses = async (event: unknown, field: string) => {
      const streamId = randomUUID();
      assertInvalid(await append(streamId, [event]), field);
      assert.equal(await storedEventCount(call, "customer", streamId), 0);
    };

    it("a pointer that names no value of the event", () =>
      refuses(registered(customer(), ["/payload/phone"]), "events[0].personalData[0]"));
    it("a pointer outside payload and metadata", () =>
      refuses(registered(customer(), ["/eventType"]), "events[0].personalData[0]"));
    it("personalData without a subject", () =>
      refuses({ ...registered(customer()), subject: undefined }, "events[0].subject"));
    it("a subject without personalData", () =>
      refuses({ ...registered(customer()), personalData: undefined }, "events[0].personalData"));
    it("more than 32 pointers", () =>
      refuses(
        registered(
          customer(),
          Array.from({ length: 33 }, (_, index) => `/payload/n${index}`),
        ),
        "events[0].personalData",
      ));
    it("the same pointer twice", () =>
      refuses(registered(customer(), ["/payload/email", "/payload/email"]), "events[0].personalData"));
    it("a pointer inside another", () =>
      refuses(registered(customer(), ["/payload", "/payload/email"]), "events[0].personalData[1]"));
  });

  it("refuses personal data in a payload over the large-payload threshold with 413, saying why", async () => {
    const big = { ...registered(customer(), ["/payload/email"]), payload: { email: "a", pad: "x".repeat(400_000) } };
    const refused = await append(randomUUID(), [big]);
    assertProblem(refused, 413);
    assert.match(refused.json.detail, /personal data is kept inline/);
  });
});
