/**
 * The edges of input that a 400 names rather than a 500 or a silent change of the data: strings that are not
 * well-formed Unicode, bodies that are not UTF-8, times beyond years 0001–9999, page keys this API never gave
 * out, and the `errors` of every 400 about the body or the path.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type Answer, type RawRequest, rawApi } from "./requests.ts";

let send: (request: RawRequest) => Promise<Answer>;

before(async () => {
  ({ send } = await rawApi());
});

const eventsOf = (id: string) => `/streams/order/${id}/events`;
const append = (id: string, body: string | Buffer) => send({ method: "POST", path: eventsOf(id), body });
const list = (query: string) => send({ method: "GET", path: "/streams/order", query });
const lone = "\\ud800";

/** A 400 whose `errors` are exactly `errors`, and the problem type its slug names. */
function assertErrors(answer: Answer, errors: Record<string, string[]>, slug = "invalid-input"): void {
  assert.equal(answer.status, 400, JSON.stringify(answer.json));
  assert.equal(answer.headers["content-type"], "application/problem+json");
  assert.equal(answer.json.type, `tag:event-store,2026:problem:${slug}`);
  assert.deepEqual(answer.json.errors, errors);
}

async function assertNoStream(id: string): Promise<void> {
  assert.equal((await send({ method: "GET", path: `/streams/order/${id}/details` })).status, 404);
}

describe("input edges", () => {
  it("a lone surrogate anywhere in a body is 400 naming the field, at any depth; a pair is stored as sent", async () => {
    const id = randomUUID();
    const events = [
      `{"eventType":"A${lone}","payload":{"a":[1,"x${lone}"]}}`,
      `{"eventType":"B","payload":1,"metadata":{"by":{"${lone}":1}}}`,
      `{"eventType":"C","payload":${"[".repeat(100_000)}"${lone}"${"]".repeat(100_000)}}`,
    ];
    const answer = await append(id, `{"expectedRevision":"any","events":[${events.join(",")}]}`);
    const problem = "not well-formed Unicode (it holds a lone surrogate)";
    assertErrors(answer, {
      "events[0].eventType": [`is ${problem}`],
      "events[0].payload": [`has a string that is ${problem} at "/a/1"`],
      "events[1].metadata": [`has a member name that is ${problem} at "/by/\\ud800"`],
      "events[2].payload": [`has a string that is ${problem} at "${"/0".repeat(99)}/…`], // cut at 200 characters,
    });
    await assertNoStream(id);
    const pair = `{"expectedRevision":"no-stream","events":[{"eventType":"\\ud83d\\ude00","payload":"\\ud83d\\ude00"}]}`;
    assert.equal((await append(id, pair)).status, 201);
    const read = await send({ method: "GET", path: eventsOf(id) });
    assert.equal(read.json.eventPage.events[0].eventType, "😀");
    assert.equal(read.json.eventPage.events[0].payload, "😀");
  });

  it("a body that is not UTF-8, or starts with a byte order mark, is 400 errors.body; UTF-8 in base64 is read", async () => {
    const id = randomUUID();
    const body = (text: string) => `{"expectedRevision":"no-stream","events":[{"eventType":"A","payload":"${text}"}]}`;
    const [start, end] = body("|").split("|") as [string, string];
    const notUtf8 = Buffer.concat([Buffer.from(start), Buffer.from([0xe9]), Buffer.from(end)]);
    const message = { body: ["is not valid UTF-8: send JSON encoded as UTF-8"] };
    assertErrors(await append(id, notUtf8), message, "malformed-json");
    const bom = { body: ["starts with a byte order mark (U+FEFF): send the JSON text without one"] };
    assertErrors(await append(id, Buffer.from(`\uFEFF${body("x")}`)), bom, "malformed-json");
    await assertNoStream(id);
    assert.equal((await append(id, Buffer.from(body("café 😀")))).status, 201);
    const read = await send({ method: "GET", path: eventsOf(id) });
    assert.equal(read.json.eventPage.events[0].payload, "café 😀");
  });

  it("a time outside years 0001–9999 once its offset is applied is 400; the years' own edges are read", async () => {
    for (const time of ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "0000-06-01T00:00:00Z"]) {
      assertErrors(await list(`updated-after=${encodeURIComponent(time)}`), {
        "updated-after": [`must fall within years 0001 to 9999 once its offset is applied, got "${time}"`],
      });
    }
    assertErrors(await list("updated-after=2026-01-01T00:00:00%2B24:00"), {
      "updated-after": ['is not a real time: "2026-01-01T00:00:00+24:00"'],
    });
    const edges = ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+00:30", "9999-12-31T23:59:59.999999999Z"];
    for (const time of [...edges, "9999-12-31T23:59:59+01:00"]) {
      assert.equal((await list(`updated-after=${encodeURIComponent(time)}`)).status, 200, time);
    }
  });

  it("a page key this API did not give out is 400 naming the parameter it came in; an empty one is no key", async () => {
    const tooLong = "must be at most 1024 characters: pass the nextPageKey of the previous page unchanged";
    for (const field of ["nextPageKey", "stream-next-page-key"]) {
      assertErrors(await list(`${field}=${"A".repeat(1025)}`), { [field]: [tooLong] });
      const forged = Buffer.from(JSON.stringify({ v: 1, after: "" })).toString("base64url");
      assertErrors(await list(`${field}=${forged}`), {
        [field]: ["pass the nextPageKey of the previous page unchanged"],
      });
      assert.equal((await list(`${field}=`)).status, 200);
    }
    const both = "is the same page key as the other one: send nextPageKey or stream-next-page-key, not both";
    assertErrors(await list("nextPageKey=abc&stream-next-page-key=abc"), {
      nextPageKey: [both],
      "stream-next-page-key": [both],
    });
  });

  it("every 400 about the body or the path has errors, and keeps its problem type", async () => {
    const id = randomUUID();
    const notJson = { body: ["is not valid JSON: Unexpected end of JSON input"] };
    const missing = { body: ["is required: a JSON body"] };
    assertErrors(await append(id, ""), missing, "missing-body");
    assertErrors(await send({ method: "POST", path: eventsOf(id) }), missing, "missing-body");
    assertErrors(await append(id, " "), notJson, "malformed-json");
    const path = { path: ['has a segment that is not valid percent-encoding: "%E0%A4%A"'] };
    assertErrors(await send({ method: "GET", path: "/streams/%E0%A4%A" }), path, "malformed-path");
    await assertNoStream(id);
  });
});
