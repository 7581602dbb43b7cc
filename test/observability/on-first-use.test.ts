// The Lambda entries' observability loads Powertools on first need (observabilityOnFirstUse): a cold start and every
// invocation that logs and counts nothing load nothing; what is logged or counted before it is there reaches it, in
// order and in its invocation, before that invocation ends; the cold start it reports is the environment's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { observabilityOnFirstUse, observeInvocations } from "#shared/observability.ts";
import { powertoolsObservability } from "#shared/powertools.ts";
import { lambdaContext, printedBy, recordingObservability } from "./recorder.ts";

/** A recorder behind observabilityOnFirstUse, and how often it was loaded. */
function deferredRecorder() {
  const recorder = recordingObservability();
  const loads = { count: 0 };
  const observability = observabilityOnFirstUse(async () => {
    loads.count++;
    return recorder;
  });
  return { recorder, loads, observability };
}

describe("observability loaded on first use (the Lambda entries')", () => {
  it("loads nothing for invocations that neither log nor count, a zero count included", async () => {
    const { loads, observability } = deferredRecorder();
    const handler = observeInvocations(observability, async () => {
      observability.count("Appends", 0);
      return "answered";
    });
    assert.equal(await handler({}, lambdaContext("r-1")), "answered");
    assert.equal(await handler({}, lambdaContext("r-2")), "answered");
    assert.equal(loads.count, 0);
  });

  it("hands an invocation's counts over before the invocation ends, loading once", async () => {
    const { recorder, loads, observability } = deferredRecorder();
    const handler = observeInvocations(observability, async (appends: number) => {
      observability.count("Appends", appends);
      observability.count("Conflicts");
    });
    await handler(2, lambdaContext("r-1"));
    assert.equal(loads.count, 1);
    assert.deepEqual(recorder.counts, { Appends: 2, Conflicts: 1 });
    assert.deepEqual(
      recorder.invocations.map((invocation) => [invocation.context?.awsRequestId, invocation.ended]),
      [["r-1", true]],
    );
    await handler(1, lambdaContext("r-2"));
    assert.equal(loads.count, 1);
    assert.deepEqual(recorder.counts, { Appends: 3, Conflicts: 2 });
    assert.deepEqual(
      recorder.invocations.map((invocation) => [invocation.context?.awsRequestId, invocation.ended]),
      [
        ["r-1", true],
        ["r-2", true],
      ],
    );
  });

  it("logs a failure as soon as it is loaded, in order with what came before, within its invocation", async () => {
    const { recorder, observability } = deferredRecorder();
    const handler = observeInvocations(observability, async () => {
      observability.count("ServerErrors");
      observability.error("unhandled error", { requestId: "url-r-1" });
      observability.warn("retrying", {});
      await new Promise((resolve) => setImmediate(resolve));
      // Loaded by now: the failure did not wait for the invocation's end.
      assert.deepEqual(
        recorder.logs.map((line) => line.message),
        ["unhandled error", "retrying"],
      );
      assert.equal(recorder.invocations.at(-1)?.ended, false);
    });
    await handler({}, lambdaContext("r-1"));
    assert.deepEqual(recorder.counts, { ServerErrors: 1 });
    assert.equal(recorder.invocations.at(-1)?.ended, true);
  });

  it("reports the environment's cold start through Powertools, however late Powertools is loaded", async (t) => {
    // Lambda sets it for on-demand environments; Powertools reports cold starts only there.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    t.after(() => {
      delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    });
    const late = observabilityOnFirstUse(async () => powertoolsObservability({ serviceName: "event-store-api" }));
    const quietFirst = observeInvocations(late, async (fail: boolean) => {
      if (fail) late.error("unhandled error", { requestId: "url-r-2" });
    });
    const printedLate = await printedBy(async () => {
      await quietFirst(false, lambdaContext("r-1"));
      await quietFirst(true, lambdaContext("r-2"));
    });
    assert.equal(printedLate.length, 1);
    assert.equal(printedLate[0]?.function_request_id, "r-2");
    assert.equal(printedLate[0]?.cold_start, false, "the second invocation of an environment is no cold start");

    const early = observabilityOnFirstUse(async () => powertoolsObservability({ serviceName: "event-store-api" }));
    const failing = observeInvocations(early, async () => early.error("unhandled error", { requestId: "url-r-3" }));
    const printedEarly = await printedBy(() => failing({}, lambdaContext("r-3")));
    assert.equal(printedEarly.length, 1);
    assert.equal(printedEarly[0]?.function_request_id, "r-3");
    assert.equal(printedEarly[0]?.cold_start, true);
  });
});
