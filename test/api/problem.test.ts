import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorResponse, problemResponse, problemTypes } from "#api/problem.ts";
import {
  InvalidInputError,
  StreamNotFoundError,
  ThrottledError,
  TooLargeError,
  UnprocessableError,
  WrongExpectedRevisionError,
} from "#store/errors.ts";

function answer(result: ReturnType<typeof problemResponse>) {
  const { statusCode, headers, body } = result as { statusCode: number; headers: Record<string, string>; body: string };
  return { status: statusCode, headers, json: JSON.parse(body) };
}

describe("problem types", () => {
  it("each has its own slug, and its type is the tag URI of the slug", () => {
    const types = Object.values(problemTypes);
    assert.equal(new Set(types.map((type) => type.slug)).size, types.length);
    for (const type of types) assert.equal(type.type, `tag:event-store,2026:problem:${type.slug}`);
  });

  it("every kind of store error answers its problem type, with what the caller needs", () => {
    const cases = [
      [
        new InvalidInputError("bad", { nextPageKey: ["x"] }),
        problemTypes.invalidInput,
        { errors: { nextPageKey: ["x"] } },
      ],
      [new StreamNotFoundError("order", "id"), problemTypes.streamNotFound, {}],
      [new WrongExpectedRevisionError("at 3", 3), problemTypes.wrongExpectedRevision, { currentRevision: 3 }],
      [new TooLargeError("big", 409_600), problemTypes.tooLarge, { limitBytes: 409_600 }],
      [new UnprocessableError("no"), problemTypes.unprocessable, {}],
      [new ThrottledError("busy", 2), problemTypes.throttled, {}],
    ] as const;
    for (const [error, type, members] of cases) {
      const { status, json } = answer(errorResponse(error, "r1"));
      assert.equal(status, type.status);
      assert.deepEqual(json, { ...json, type: type.type, title: type.title, status: type.status, requestId: "r1" });
      assert.deepEqual(json, { ...json, ...members });
    }
    assert.equal(answer(errorResponse(new ThrottledError("busy", 2), "r1")).headers["retry-after"], "2");
  });

  it("an unexpected error is a 500 that tells no internals", (t) => {
    t.mock.method(console, "error", () => {});
    const { status, json } = answer(errorResponse(new Error("secret table name"), "r2"));
    assert.equal(status, 500);
    assert.equal(json.type, problemTypes.internalError.type);
    assert.doesNotMatch(JSON.stringify(json), /secret/);
  });

  it("an answer can be built from a type alone, as local mode does while it starts", () => {
    const result = problemResponse(problemTypes.serviceStarting, "starting up", "r3", {
      headers: { "retry-after": "1" },
    });
    const { status, headers, json } = answer(result);
    assert.equal(status, 503);
    assert.equal(headers["retry-after"], "1");
    assert.equal(headers["content-type"], "application/problem+json");
    assert.deepEqual(json, {
      type: "tag:event-store,2026:problem:service-unavailable",
      title: "Service unavailable",
      status: 503,
      detail: "starting up",
      requestId: "r3",
    });
  });
});
