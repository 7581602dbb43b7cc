/**
 * Part 5: the Lambda bundles. Each handler is bundled with the options `npm run build` bundles the deployed
 * handlers with (scripts/build.ts: ESM, minified, external source map, platform node, the runtime's Node
 * version as target, `@aws-sdk/*` left to the runtime, the createRequire banner), plus a metafile.
 * Reported: minified size, the five inputs that take most of it, the size with the AWS SDK bundled in, and cold
 * init — a fresh Node process imports the bundle and serves its first event — as the median of several
 * processes, next to a hello-world handler bundled the same way in the same run.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { localAwsEnvironment } from "#local/aws-local.ts";
import { environmentVariables } from "#shared/environment.ts";
import { handlerBuildOptions, handlerTarget } from "../scripts/build.ts";
import { median, percentile, round } from "./stats.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const outRoot = join(projectRoot, ".tmp", "bench-bundles");

export interface BundleFigures {
  name: "api" | "change-feed" | "sdk-clients-only" | "hello-world";
  entry: string;
  /** index.mjs as deployed (minified, without the source map). */
  bytes: number;
  sourceMapBytes: number;
  topInputs: { path: string; bytes: number }[];
  /** The same bundle with the AWS SDK bundled in instead of taken from the runtime. */
  bytesWithSdk?: number;
  topInputsWithSdk?: { path: string; bytes: number }[];
  coldInit: {
    runs: number;
    /** Median of import + first event, measured inside the fresh process. */
    medianMs: number;
    p90Ms: number;
    /** Median time from the process's start (Node's own bootstrap included) to the first answer. */
    medianSinceProcessStartMs: number;
    /** medianMs / the hello-world's medianMs. */
    toHelloWorld?: number;
  };
}

export interface BundlesResult {
  target: string;
  bundles: BundleFigures[];
  budgets: { apiBytes: { limit: number; met: boolean }; coldInitMs: { aim: number; met: boolean } };
}

export async function measureBundles(options: { coldStarts: number }): Promise<BundlesResult> {
  rmSync(outRoot, { recursive: true, force: true });
  const helloEntry = join(outRoot, "hello-world.ts");
  const sdkEntry = join(outRoot, "sdk-clients-only.ts");
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(helloEntry, 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n');
  // What the API's init costs before any code of ours runs: loading the SDK modules it imports, making clients.
  writeFileSync(
    sdkEntry,
    [
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
      'import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";',
      "const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
      "export const handler = async () => ({ statusCode: 200, body: typeof client.send });",
      "",
    ].join("\n"),
  );

  const entries = [
    { name: "api", entry: "lambdas/api/lambda.ts", event: openApiEvent() },
    { name: "change-feed", entry: "lambdas/change-feed/lambda.ts", event: { Records: [] } },
    { name: "sdk-clients-only", entry: sdkEntry, event: openApiEvent() },
    { name: "hello-world", entry: helloEntry, event: openApiEvent() },
  ] as const;

  const built = [];
  for (const { name, entry, event } of entries) {
    const withoutSdk = await bundle(entry, join(outRoot, name), true);
    const generated = name === "hello-world" || name === "sdk-clients-only";
    const withSdk = generated ? undefined : await bundle(entry, join(outRoot, `${name}-sdk`), false);
    built.push({ name, entry, event, withoutSdk, withSdk });
  }

  // Cold starts, interleaved so that machine noise spreads over all three alike.
  const samples = new Map<string, { initMs: number; sinceStartMs: number }[]>(built.map((b) => [b.name, []]));
  for (let run = 0; run < options.coldStarts; run++) {
    for (const item of built) samples.get(item.name)?.push(await coldStart(item.withoutSdk.file, item.event));
  }

  const helloMedian = median((samples.get("hello-world") ?? []).map((sample) => sample.initMs));
  const bundles: BundleFigures[] = built.map((item) => {
    const runs = samples.get(item.name) ?? [];
    const init = runs.map((sample) => sample.initMs);
    const medianMs = round(median(init), 1);
    return {
      name: item.name,
      entry: item.entry.startsWith(outRoot) ? `(generated) ${item.name}` : item.entry,
      bytes: item.withoutSdk.bytes,
      sourceMapBytes: item.withoutSdk.mapBytes,
      topInputs: item.withoutSdk.topInputs,
      ...(item.withSdk ? { bytesWithSdk: item.withSdk.bytes, topInputsWithSdk: item.withSdk.topInputs } : {}),
      coldInit: {
        runs: runs.length,
        medianMs,
        p90Ms: round(percentile(init, 0.9), 1),
        medianSinceProcessStartMs: round(median(runs.map((sample) => sample.sinceStartMs)), 1),
        ...(item.name === "hello-world" ? {} : { toHelloWorld: round(medianMs / helloMedian, 2) }),
      },
    };
  });
  const api = bundles.find((b) => b.name === "api") as BundleFigures;
  const ours = bundles.filter((b) => b.name === "api" || b.name === "change-feed");
  const slowest = Math.max(...ours.map((b) => b.coldInit.medianMs));
  rmSync(outRoot, { recursive: true, force: true });
  return {
    target: handlerTarget,
    bundles,
    budgets: {
      apiBytes: { limit: 250 * 1024, met: api.bytes <= 250 * 1024 },
      coldInitMs: { aim: 150, met: slowest < 150 },
    },
  };
}

async function bundle(entry: string, outdir: string, sdkFromRuntime: boolean) {
  const file = join(outdir, "index.mjs");
  const options = {
    ...handlerBuildOptions({ entry, outfile: file, sdkFromRuntime }),
    metafile: true,
    logLevel: "silent" as const,
  };
  const result = await build(options);
  const metafile = result.metafile as Metafile;
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith("index.mjs"))?.[1];
  const topInputs = Object.entries(output?.inputs ?? {})
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  return { file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size, topInputs };
}

/**
 * A fresh Node process, started with the options the function gets (NODE_OPTIONS=--enable-source-maps), imports
 * the bundle and calls its handler once; it reports how long that took by its own clock.
 */
function coldStart(file: string, event: unknown): Promise<{ initMs: number; sinceStartMs: number }> {
  const script = [
    'const { pathToFileURL } = await import("node:url");',
    "const [file, event] = process.argv.slice(1);",
    "const begun = performance.now();",
    "const module = await import(pathToFileURL(file).href);",
    "await module.handler(JSON.parse(event), {});",
    "const served = performance.now();",
    "process.stdout.write(JSON.stringify({ initMs: served - begun, sinceStartMs: served }));",
  ].join("\n");
  const env = {
    PATH: process.env.PATH ?? "",
    ...localAwsEnvironment(),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    [environmentVariables.tableName]: "bench-cold-start",
    // With a topic the change-feed handler builds its SNS client at load, as it does in AWS.
    [environmentVariables.topicArn]: "arn:aws:sns:us-east-1:000000000000:bench-cold-start",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", "--input-type=module", "-e", script, file, JSON.stringify(event)],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`cold start of ${file} exited with ${code}: ${stderr.trim().split("\n").pop()}`));
    });
  });
}

/**
 * A function-URL event (payload format 2.0) for GET /openapi.json: a whole request through router, schemas and
 * answer that needs no network (liveness now asks DynamoDB, which the harness has not got; its failing lookups
 * would be measured instead of our code).
 */
function openApiEvent() {
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/openapi.json",
    rawQueryString: "",
    headers: { host: "bench.lambda-url.us-east-1.on.aws" },
    requestContext: {
      accountId: "anonymous",
      apiId: "bench",
      domainName: "bench.lambda-url.us-east-1.on.aws",
      domainPrefix: "bench",
      http: { method: "GET", path: "/openapi.json", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench-cold-start",
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}
