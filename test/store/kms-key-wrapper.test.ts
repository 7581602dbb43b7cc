/**
 * The KMS key wrapper (store/key-wrapping.ts) against a stand-in for KMS's JSON protocol on loopback (no KMS emulator
 * installs here): GenerateDataKey and Decrypt with the subject as encryption context, SigV4-signed for service kms,
 * and what they answer read back as keys.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { kmsKeyWrapper } from "#store/key-wrapping.ts";

interface Seen {
  target: string;
  authorization: string;
  body: Record<string, unknown>;
}

describe("the KMS key wrapper", () => {
  const seen: Seen[] = [];
  const dataKey = randomBytes(32);
  const wrapped = randomBytes(48);
  const server = createServer(async (request: IncomingMessage, response) => {
    let text = "";
    for await (const chunk of request) text += chunk;
    const body = JSON.parse(text) as Record<string, unknown>;
    const target = String(request.headers["x-amz-target"]);
    seen.push({ target, authorization: String(request.headers.authorization), body });
    const answer =
      target === "TrentService.GenerateDataKey"
        ? { KeyId: body.KeyId, Plaintext: dataKey.toString("base64"), CiphertextBlob: wrapped.toString("base64") }
        : { KeyId: body.KeyId, Plaintext: dataKey.toString("base64") };
    response.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(answer));
  });
  let endpoint: string;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    process.env.AWS_ACCESS_KEY_ID ??= "test";
    process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("makes a data key with GenerateDataKey and unwraps it with Decrypt, both bound to the subject", async () => {
    const wrapper = kmsKeyWrapper({ keyId: "arn:aws:kms:eu-west-1:1:key/k", region: "eu-west-1", endpoint });
    const made = await wrapper.newKey("customer-42");
    assert.deepEqual(made.key, dataKey);
    assert.deepEqual(made.wrapped, wrapped);
    assert.deepEqual(await wrapper.unwrap("customer-42", made.wrapped), dataKey);
    assert.deepEqual(
      seen.map((call) => call.target),
      ["TrentService.GenerateDataKey", "TrentService.Decrypt"],
    );
    assert.deepEqual(seen[0]?.body, {
      KeyId: "arn:aws:kms:eu-west-1:1:key/k",
      KeySpec: "AES_256",
      EncryptionContext: { subject: "customer-42" },
    });
    assert.deepEqual(seen[1]?.body.EncryptionContext, { subject: "customer-42" });
    assert.equal(seen[1]?.body.CiphertextBlob, wrapped.toString("base64"));
    for (const call of seen)
      assert.match(call.authorization, /^AWS4-HMAC-SHA256 Credential=.*\/eu-west-1\/kms\/aws4_request/);
  });
});
