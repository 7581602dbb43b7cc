// What the Lambda entries print through Powertools: JSON log lines with the request id and cold start, EMF lines
// CloudWatch turns into metrics, and nothing at all for an invocation that counted and logged nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricsNamespace } from "#shared/observability.ts";
import { powertoolsObservability } from "#shared/powertools.ts";
import { lambdaContext, printedBy } from "./recorder.ts";

describe("Powertools observability (the Lambda entries')", () => {
  it("prints nothing for an invocation that neither counted nor logged", () => {
    const observability = powertoolsObservability({ serviceName: "event-store-api" });
    const printed = printedBy(() => {
      observability.beginInvocation(lambdaContext("r-quiet"));
      observability.count("Appends", 0);
      observability.endInvocation();
    });
    assert.deepEqual(printed, []);
  });

  it("logs an error as one JSON line with service, request ids, cold start and the error, never more", (t) => {
    // Lambda sets it for on-demand environments; Powertools reports cold starts only there.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    t.after(() => {
      delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    });
    const observability = powertoolsObservability({ serviceName: "event-store-api" });
    const printed = printedBy(() => {
      observability.beginInvocation(lambdaContext("r-1"));
      observability.error("unhandled error", { requestId: "url-r-1", error: new Error("disk on fire") });
      observability.endInvocation();
      observability.beginInvocation(lambdaContext("r-2"));
      observability.warn("PublishBatch call failed", { error: new Error("timeout") });
      observability.endInvocation();
    });
    assert.equal(printed.length, 2);
    const [error, warning] = printed as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(error.level, "ERROR");
    assert.equal(error.message, "unhandled error");
    assert.equal(error.service, "event-store-api");
    assert.equal(error.function_request_id, "r-1");
    assert.equal(error.requestId, "url-r-1");
    assert.equal(error.cold_start, true);
    assert.equal((error.error as { message: string }).message, "disk on fire");
    assert.ok((error.error as { stack?: string }).stack);
    assert.equal(warning.level, "WARN");
    assert.equal(warning.function_request_id, "r-2");
    assert.equal(warning.cold_start, false, "only the first invocation of an environment is a cold start");
  });

  it("publishes an invocation's counts as one EMF line in the EventStore namespace, per service and function", () => {
    const observability = powertoolsObservability({ serviceName: "event-store-change-feed", functionName: "feed-fn" });
    const printed = printedBy(() => {
      observability.beginInvocation(lambdaContext("r-3"));
      observability.count("EventsNotified", 7);
      observability.count("PublishFailures", 2);
      observability.endInvocation();
    });
    assert.equal(printed.length, 1);
    const emf = printed[0] as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };
    assert.deepEqual(emf._aws.CloudWatchMetrics, [
      {
        Namespace: metricsNamespace,
        Dimensions: [["service", "FunctionName"]],
        Metrics: [
          { Name: "EventsNotified", Unit: "Count" },
          { Name: "PublishFailures", Unit: "Count" },
        ],
      },
    ]);
    assert.equal(emf.service, "event-store-change-feed");
    assert.equal(emf.FunctionName, "feed-fn");
    assert.equal(emf.EventsNotified, 7);
    assert.equal(emf.PublishFailures, 2);
    // Counters start again with each invocation.
    assert.deepEqual(
      printedBy(() => observability.endInvocation()),
      [],
    );
  });
});
