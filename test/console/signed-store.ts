/**
 * A stand-in for a deployed store behind an `AWS_IAM` function URL, for the remote console's tests: local mode's API
 * behind local mode's HTTP server, whose handler first demands a SigV4 signature for service `lambda` and checks it
 * by signing the same request again with @smithy/signature-v4 and the one pair of test credentials it knows. A
 * request without a signature, or with one that does not match, gets the function URL's own refusal (403
 * `{"Message":"Forbidden"}`), before the API sees it. Also an unsigned server on the same local mode, for the tests'
 * own calls.
 */
import { createHash } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type FunctionUrlHandler, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import type { Credentials } from "../../client/types.ts";

export const storeCredentials: Credentials = {
  accessKeyId: "AKIACONSOLETEST00001",
  secretAccessKey: "the-remote-console-test-secret-key-00001",
};
export const storeRegion = "eu-west-1";

export interface SignedStore {
  /** The "function URL": signed requests only. */
  url: string;
  /** The same API without signatures, for the tests' own calls. */
  directUrl: string;
  /** The events the stand-in let through to the API, as they came. */
  received: LambdaFunctionURLEvent[];
  local: LocalMode;
  stop(): Promise<void>;
}

export async function startSignedStore(tableName: string): Promise<SignedStore> {
  const local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName });
  const received: LambdaFunctionURLEvent[] = [];
  const signed = await startHttpServer({ port: 0, handler: requireSigV4(local.api, received) });
  const direct = await startHttpServer({ port: 0, handler: local.api });
  return {
    url: `${signed.url}/`,
    directUrl: direct.url,
    received,
    local,
    stop: async () => {
      await signed.close();
      await direct.close();
      await local.stop();
    },
  };
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/lambda\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

/** Lets through to `api` only what storeCredentials signed, as IAM auth of a function URL does. */
function requireSigV4(api: FunctionUrlHandler, received: LambdaFunctionURLEvent[]): FunctionUrlHandler {
  const signer = new SignatureV4({
    service: "lambda",
    region: storeRegion,
    sha256: Sha256,
    credentials: storeCredentials,
    applyChecksum: true,
  });
  return async (event) => {
    const headers = event.headers;
    const authorization = headers.authorization ?? "";
    const date = headers["x-amz-date"] ?? "";
    const [, accessKeyId, , , signedHeaderNames = ""] = authorizationPattern.exec(authorization) ?? [];
    if (accessKeyId !== storeCredentials.accessKeyId || !/^\d{8}T\d{6}Z$/.test(date)) return forbidden();
    const body =
      event.body === undefined ? "" : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8").toString();
    // The body's hash is recomputed, not taken from the header: a body changed on the way fails.
    if (headers["x-amz-content-sha256"] !== createHash("sha256").update(body).digest("hex")) return forbidden();
    const toSign: Record<string, string> = {};
    for (const name of signedHeaderNames.split(";")) {
      if (name !== "x-amz-content-sha256") toSign[name] = headers[name] ?? "";
    }
    const [hostname = "", port] = (headers.host ?? "").split(":");
    const again = await signer.sign(
      {
        method: event.requestContext.http.method,
        protocol: "http:",
        hostname,
        ...(port ? { port: Number(port) } : {}),
        path: event.rawPath,
        query: Object.fromEntries(new URLSearchParams(event.rawQueryString)),
        headers: toSign,
        body: event.body === undefined ? undefined : body,
      },
      { signingDate: signingDate(date) },
    );
    if (again.headers.authorization !== authorization) return forbidden();
    received.push(event);
    return api(event);
  };
}

/** What a function URL answers a request that IAM auth refuses. */
function forbidden(): LambdaFunctionURLResult {
  return { statusCode: 403, headers: { "content-type": "application/json" }, body: '{"Message":"Forbidden"}' };
}

/** `20261207T051540Z` as a Date. */
function signingDate(amzDate: string): Date {
  return new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
}
