// The remote console's proxy and command line without a browser: which calls count as writes, what a user without
// credentials or with an unreachable store is told, and the options `event-store-console` takes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { forwardToStore, isWrite } from "#local/console/remote.ts";
import { defaultConsolePort, parseRemoteCliOptions } from "#local/console/remote-options.ts";

/** A function-URL event as local mode's server makes it, with only what the proxy reads. */
function event(method: string, rawPath: string): LambdaFunctionURLEvent {
  return {
    rawPath,
    rawQueryString: "",
    headers: { accept: "application/json" },
    isBase64Encoded: false,
    requestContext: { http: { method }, requestId: "test-request" },
  } as unknown as LambdaFunctionURLEvent;
}

describe("the remote console's proxy", () => {
  it("counts every call that may change data as a write, and reads (POST /dcb/read too) as reads", () => {
    for (const [method, path] of [
      ["POST", "/streams/order"],
      ["POST", "/streams/order/6a7e1e2c-0000-4000-8000-000000000000/events"],
      ["PUT", "/streams/order/6a7e1e2c-0000-4000-8000-000000000000/events/2"],
      ["DELETE", "/operations/x"],
      ["POST", "/replays"],
      ["POST", "/appends"],
      ["POST", "/dcb/append"],
      ["POST", "/uploads"],
      ["PATCH", "/anything"],
    ]) {
      assert.equal(isWrite(method as string, path as string), true, `${method} ${path} writes`);
    }
    for (const [method, path] of [
      ["GET", "/streams"],
      ["HEAD", "/feed"],
      ["OPTIONS", "/streams/order"],
      ["POST", "/dcb/read"],
    ]) {
      assert.equal(isWrite(method as string, path as string), false, `${method} ${path} reads`);
    }
  });

  it("tells a user without credentials to log in with their profile", async () => {
    const forward = forwardToStore({
      url: new URL("https://abc.lambda-url.eu-west-1.on.aws/"),
      profile: "ops",
      credentials: async () => {
        throw new Error("Could not load credentials from any providers");
      },
      allowWrites: false,
    });
    const answer = await forward(event("GET", "/streams"));
    assert.equal(typeof answer === "object" && answer.statusCode, 401);
    const problem = JSON.parse((answer as { body: string }).body);
    assert.equal(problem.title, "No AWS credentials");
    assert.match(problem.detail, /run aws sso login --profile ops/);
  });

  it("says a store that does not answer is unreachable, naming the URL", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const { port } = probe.address() as AddressInfo;
    await new Promise((closed) => probe.close(closed));
    const forward = forwardToStore({
      url: new URL(`http://127.0.0.1:${port}/`),
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret" },
      allowWrites: false,
    });
    const answer = (await forward(event("GET", "/feed/head"))) as { statusCode: number; body: string };
    assert.equal(answer.statusCode, 502);
    assert.match(
      JSON.parse(answer.body).detail,
      new RegExp(`127\\.0\\.0\\.1:${port} did not answer .*check the --url`),
    );
  });
});

describe("event-store-console's command line", () => {
  it("needs --url, and reads the profile, region, port and --allow-writes", () => {
    assert.throws(() => parseRemoteCliOptions([]), /--url is required/);
    assert.throws(() => parseRemoteCliOptions(["--url", "not a url"]), /is not a URL/);
    assert.equal(parseRemoteCliOptions(["--help"]), undefined);
    const options = parseRemoteCliOptions([
      "--url",
      "https://abc.lambda-url.eu-west-1.on.aws/",
      "--profile",
      "ops",
      "--allow-writes",
    ]);
    assert.equal(options?.url.host, "abc.lambda-url.eu-west-1.on.aws");
    assert.equal(options?.profile, "ops");
    assert.equal(options?.port, defaultConsolePort);
    assert.equal(options?.allowWrites, true);
    assert.equal(parseRemoteCliOptions(["--url", "https://x.example/"])?.allowWrites, false, "read-only by default");
  });

  it("prints its usage with --help (npm run console)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      "local/console/remote-cli.ts",
      "--help",
    ]);
    assert.match(stdout, /Usage: event-store-console --url URL/);
    assert.match(stdout, /--allow-writes/);
  });

  it("exits with what to do when it finds no credentials", async () => {
    const run = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "local/console/remote-cli.ts", "--url", "https://abc.lambda-url.eu-west-1.on.aws/"],
      // No credentials anywhere: no environment keys, an empty home, no instance metadata.
      {
        env: {
          PATH: process.env.PATH,
          HOME: "/nonexistent",
          AWS_CONFIG_FILE: "/nonexistent/config",
          AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    assert.equal("code" in run ? run.code : 0, 1);
    assert.match("stderr" in run ? run.stderr : "", /no AWS credentials found .*aws sso login/);
  });
});
