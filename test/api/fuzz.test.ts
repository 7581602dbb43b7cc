/**
 * Fuzzing the API's input with a corpus (fuzz-corpus-text.ts, fuzz-corpus-shapes.ts): every bad request is
 * answered 4xx as problem+json of a registered type, every 400 says which field is wrong, nothing is written.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { problemTypes } from "#api/problem.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { shapeCases } from "./fuzz-corpus-shapes.ts";
import { textCases } from "./fuzz-corpus-text.ts";
import { type Answer, type RawRequest, rawApi, type Target } from "./requests.ts";

let send: (request: RawRequest) => Promise<Answer>;
let tableName: string;

before(async () => {
  ({ send, tableName } = await rawApi());
});

const registered = new Map(Object.values(problemTypes).map((type) => [type.type, type.status]));

/** What is wrong with an answer to a bad request, if anything. */
function faultsOf(answer: Answer, field: string | undefined): string[] {
  const faults: string[] = [];
  if (answer.status < 400 || answer.status > 499) faults.push(`status ${answer.status}`);
  if (answer.headers["content-type"] !== "application/problem+json") faults.push("not problem+json");
  if (registered.get(answer.json?.type) !== answer.status) faults.push(`type ${answer.json?.type} of another status`);
  const errors = answer.json?.errors;
  if (answer.status === 400 && (typeof errors !== "object" || Object.keys(errors).length === 0))
    faults.push("no errors");
  if (field !== undefined && !Object.hasOwn(errors ?? {}, field)) faults.push(`errors do not name ${field}`);
  return faults;
}

/** Every item of the table whose stream type starts with `prefix` (this run's targets). */
async function itemsOfTypes(prefix: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, any> | undefined;
  do {
    const page = await testDynamoDb().client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "begins_with(streamType, :prefix)",
        ExpressionAttributeValues: { ":prefix": { S: prefix } },
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Items?.length ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

describe("fuzzing the input", () => {
  const cases = [...textCases(), ...shapeCases()];

  it("has a corpus of at least 100 cases", () => {
    assert.ok(cases.length >= 100, `${cases.length} cases`);
  });

  it("answers every bad request 4xx, problem+json of a registered type, naming the field; writes nothing", async () => {
    const prefix = `fuzz-${randomUUID().slice(0, 8)}`;
    const targets: Target[] = cases.map((_, index) => ({ streamType: `${prefix}-${index}`, streamId: randomUUID() }));
    const faults: string[] = [];
    for (const [index, fuzzCase] of cases.entries()) {
      const answer = await send(fuzzCase.request(targets[index] as Target));
      const found = faultsOf(answer, fuzzCase.field);
      if (found.length > 0) faults.push(`${fuzzCase.name}: ${found.join("; ")} in ${JSON.stringify(answer.json)}`);
    }
    assert.deepEqual(faults, []);
    for (const { streamType, streamId } of targets) {
      const details = await send({ method: "GET", path: `/streams/${streamType}/${streamId}/details` });
      const listing = await send({ method: "GET", path: `/streams/${streamType}` });
      assert.equal(details.status, 404, `${streamType}/${streamId} exists`);
      assert.deepEqual(listing.json.streamPage.streams, [], `${streamType} lists streams`);
    }
    assert.equal(await itemsOfTypes(prefix), 0, "items written under the targets' stream types");
  });
});
