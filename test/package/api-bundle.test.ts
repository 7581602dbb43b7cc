/**
 * The API's Lambda bundle as deployed (`dist/handlers/api/index.mjs`, which `npm test` builds first), run in a
 * process of its own against DynamoDB Local: its configuration comes from the environment as in Lambda (the table
 * from the construct's variable, the endpoint from `AWS_ENDPOINT_URL_DYNAMODB`, which the SDK honours), so the
 * bundled request path (dynamodb-wire.ts: signing, endpoint rules, retries) and the document client's calls are
 * exercised exactly as they ship. The other tests run the sources.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { localAwsEnvironment } from "#local/aws-local.ts";
import { environmentVariables } from "#shared/environment.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { eventsTable, functionUrlEvent, testStreamStore } from "#test/support/store.ts";

const bundle = fileURLToPath(new URL("../../dist/handlers/api/index.mjs", import.meta.url));

/** Runs the bundle's handler on each event in turn, in a fresh Node process; answers status and body. */
async function runBundle(events: unknown[]): Promise<{ statusCode: number; body: string }[]> {
  const script = [
    `const { handler } = await import(${JSON.stringify(bundle)});`,
    "const answers = [];",
    "for (const event of JSON.parse(process.env.EVENTS)) answers.push(await handler(event));",
    "process.stdout.write(JSON.stringify(answers));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--enable-source-maps", "--input-type=module", "--eval", script],
    {
      env: {
        PATH: process.env.PATH,
        ...localAwsEnvironment(),
        AWS_ENDPOINT_URL_DYNAMODB: testDynamoDb().endpoint,
        [environmentVariables.tableName]: eventsTable,
        EVENTS: JSON.stringify(events),
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout);
}

function event(method: string, path: string, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = text === undefined ? {} : { "content-type": "application/json" };
  return functionUrlEvent(method, path, { query: "", headers, body: text, base64: false });
}

describe("the API's Lambda bundle, as deployed", () => {
  it("creates, appends to, reads and details a stream on DynamoDB Local, and refuses a stale revision", async () => {
    assert.ok(existsSync(bundle), `${bundle} is missing: npm test builds it (npm run build)`);
    await testStreamStore(); // the table exists
    const id = randomUUID();
    const newEvent = { eventType: "Opened", payload: { n: 1 } };
    const answers = await runBundle([
      event("PUT", `/streams/order/${id}/events/1`, { event: newEvent }),
      event("PUT", `/streams/order/${id}/events/2`, { event: { ...newEvent, eventType: "Paid" } }),
      event("PUT", `/streams/order/${id}/events/2`, { event: newEvent }),
      event("GET", `/streams/order/${id}/details`),
      event("GET", `/streams/order/${id}/events`),
      event("GET", "/liveness-check"),
    ]);
    assert.deepEqual(
      answers.map((answer) => answer.statusCode),
      [201, 201, 409, 200, 200, 200],
    );
    const [, , conflict, details, page] = answers.map((answer) => JSON.parse(answer.body));
    assert.equal(conflict.currentRevision, 2);
    assert.equal(details.stream.revision, 2);
    assert.deepEqual(
      page.eventPage.events.map((stored: { eventType: string }) => stored.eventType),
      ["Opened", "Paid"],
    );
  });
});
