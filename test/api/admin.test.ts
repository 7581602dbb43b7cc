// The endpoints that remove data answer only through the admin URL (lambdas/api/admin.ts, lib/admin-url.ts): the
// function tells its URLs apart by the ARN it was invoked with.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adminAccess, adminOnly } from "#api/admin.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest, Endpoint } from "#api/request.ts";
import type { StreamStore } from "#store/stream-store.ts";

const functionArn = "arn:aws:lambda:eu-west-1:123456789012:function:Store-ApiFunction";

describe("admin access", () => {
  it("is the admin alias's invocations only, when the stack has one", () => {
    assert.equal(adminAccess("admin", { invokedFunctionArn: `${functionArn}:admin` }), true);
    assert.equal(adminAccess("admin", { invokedFunctionArn: functionArn }), false);
    assert.equal(adminAccess("admin", { invokedFunctionArn: `${functionArn}:$LATEST` }), false);
    assert.equal(adminAccess("admin", { invokedFunctionArn: `${functionArn}:notadmin` }), false);
    assert.equal(adminAccess("admin", undefined), false);
  });

  it("is everyone's without an alias (local mode: one loopback URL)", () => {
    assert.equal(adminAccess(undefined, undefined), true);
    assert.equal(adminAccess(undefined, { invokedFunctionArn: functionArn }), true);
  });

  it("adminOnly answers 403 admin-only through another URL, and runs the endpoint through the admin URL", async () => {
    let ran = 0;
    const endpoint: Endpoint = async () => {
      ran++;
      return { statusCode: 202 };
    };
    const request = (admin: boolean): ApiRequest => ({
      method: "DELETE",
      path: "/streams/order/3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f",
      params: {},
      query: new URLSearchParams(),
      headers: {},
      body: undefined,
      requestId: "r-1",
      caller: "anonymous",
      admin,
    });
    const store = {} as StreamStore;

    await assert.rejects(
      () => adminOnly(endpoint)(request(false), store, {}),
      (error: unknown) =>
        error instanceof HttpProblem &&
        error.problemType === problemTypes.adminOnly &&
        /answers only through the store's admin URL \(the stack output AdminUrl\)/.test(error.message),
    );
    assert.equal(ran, 0);
    assert.deepEqual(await adminOnly(endpoint)(request(true), store, {}), { statusCode: 202 });
    assert.equal(ran, 1);
  });
});
