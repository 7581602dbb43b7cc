/**
 * Part 5: the Lambda bundles. Each handler is bundled with the options `npm run build` bundles the deployed
 * handlers with (scripts/build.ts: ESM, minified, external source map, platform node, the runtime's Node
 * version as target, the AWS SDK bundled in and tree-shaken, the createRequire banner), plus a metafile.
 * Reported: minified size as deployed, the five inputs that take most of it, the size with the SDK left to the
 * runtime (SPEC section 7's 250 KB budget), and cold init — a fresh Node process imports the bundle and serves its
 * first event — as the median and spread (p10–p90) of many processes, next to a hello-world handler bundled the
 * same way in the same run. The ratio to hello world is taken on the time from process start to the first answer
 * (Node's own bootstrap included, as a Lambda runtime's init includes it). `api (SDK from node_modules)` is the
 * API bundle as it was deployed before the SDK went inside: the before/after of one run.
 *
 * The API's first event is a typical request without the network: `GET /streams/{type}/{id}/events` with an id that
 * is not a UUID, so routing, the events endpoint, reading the path and query against their schemas and the problem
 * answer run, and the 400 comes before any DynamoDB call (the harness has no DynamoDB; a failing call would measure
 * the SDK's retries, not our code). Until issue 24 it was `GET /openapi.json`; since then the document is built by
 * its first request, not at init, so `api (first request GET /openapi.json)` keeps that figure: the same bundle,
 * with the document's construction in it. `ourShareMs` is the API's cold start less the sdk-clients-only handler's
 * (medians from process start, same run): what our own code adds to the SDK clients the API needs. That handler makes
 * the clients the API makes at init with the same settings; every process gets AWS_LAMBDA_FUNCTION_NAME, as in
 * Lambda, so the entries set up their Powertools observability as they do there. `node --import tsx
 * bench/cold-start.ts [--runs N]` runs this part alone.
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
  name:
    | "api"
    | "api (first request GET /openapi.json)"
    | "change-feed"
    | "sdk-clients-only"
    | "hello-world"
    | "api (SDK from node_modules)";
  entry: string;
  /** index.mjs as deployed (minified, the SDK inside, without the source map). */
  bytes: number;
  sourceMapBytes: number;
  topInputs: { path: string; bytes: number }[];
  /** The same bundle with the AWS SDK left out (to the runtime): SPEC section 7's bundle budget. */
  bytesSdkFromRuntime?: number;
  coldInit: {
    runs: number;
    /** Median of import + first event, measured inside the fresh process. */
    medianMs: number;
    p10Ms: number;
    p90Ms: number;
    /** Median time from the process's start (Node's own bootstrap included) to the first answer. */
    medianSinceProcessStartMs: number;
    p10SinceProcessStartMs: number;
    p90SinceProcessStartMs: number;
    /** medianSinceProcessStartMs / the hello-world's. */
    toHelloWorld?: number;
  };
}

export interface BundlesResult {
  target: string;
  bundles: BundleFigures[];
  /** api − sdk-clients-only: cold start from process start to the first answer, medians of the same run. */
  ourShareMs: number;
  budgets: {
    apiBytes: { limit: number; met: boolean };
    /** Init + first request of api and change-feed, each ≤ 1.3 × hello world's (SPEC section 7). */
    coldInitRatio: { limit: number; met: boolean };
  };
}

export async function measureBundles(options: { coldStarts: number }): Promise<BundlesResult> {
  rmSync(outRoot, { recursive: true, force: true });
  const helloEntry = join(outRoot, "hello-world.ts");
  const sdkEntry = join(outRoot, "sdk-clients-only.ts");
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(helloEntry, 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n');
  // What the API's init costs before any code of ours runs: loading the SDK modules it imports and making the clients
  // it makes at init, as it makes them (lambdas/shared/aws-clients.ts createDocumentClient: the same settings, the
  // same middleware taken out, the same document client options), written out here so that none of our code is in it.
  writeFileSync(
    sdkEntry,
    [
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
      'import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";',
      "const dynamoDb = new DynamoDBClient({",
      "  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },",
      "});",
      'for (const name of ["loggerMiddleware", "getUserAgentMiddleware", "recursionDetectionMiddleware"]) {',
      "  dynamoDb.middlewareStack.remove(name);",
      "}",
      "const client = DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } });",
      "export const handler = async () => ({ statusCode: 200, body: typeof client.send });",
      "",
    ].join("\n"),
  );

  const entries = [
    { name: "api", entry: "lambdas/api/lambda.ts", event: typicalRequestEvent() },
    { name: "change-feed", entry: "lambdas/change-feed/lambda.ts", event: { Records: [] } },
    { name: "sdk-clients-only", entry: sdkEntry, event: typicalRequestEvent() },
    { name: "hello-world", entry: helloEntry, event: typicalRequestEvent() },
  ] as const;

  const built: {
    name: BundleFigures["name"];
    entry: string;
    event: unknown;
    file: string;
    figures: Built;
    sdkFromRuntime: Built | undefined;
  }[] = [];
  for (const { name, entry, event } of entries) {
    const deployed = await bundle(entry, join(outRoot, name), false);
    const generated = name === "hello-world" || name === "sdk-clients-only";
    const sdkFromRuntime = generated ? undefined : await bundle(entry, join(outRoot, `${name}-runtime-sdk`), true);
    built.push({ name, entry, event, file: deployed.file, figures: deployed, sdkFromRuntime });
    // The same bundle, its first request the OpenAPI document (the API's first event until issue 24).
    if (name === "api") {
      built.push({
        name: "api (first request GET /openapi.json)",
        entry,
        event: functionUrlEvent("/openapi.json"),
        file: deployed.file,
        figures: deployed,
        sdkFromRuntime,
      });
    }
    // The API as deployed before: the SDK loaded from node_modules, as the runtime's own SDK is loaded.
    if (name === "api" && sdkFromRuntime) {
      built.push({
        name: "api (SDK from node_modules)",
        entry,
        event,
        file: sdkFromRuntime.file,
        figures: sdkFromRuntime,
        sdkFromRuntime,
      });
    }
  }

  // Cold starts, interleaved so that machine noise spreads over all of them alike.
  const samples = new Map<string, { initMs: number; sinceStartMs: number }[]>(built.map((b) => [b.name, []]));
  for (let run = 0; run < options.coldStarts; run++) {
    for (const item of built) samples.get(item.name)?.push(await coldStart(item.file, item.event));
  }

  const helloSinceStart = median((samples.get("hello-world") ?? []).map((sample) => sample.sinceStartMs));
  const bundles: BundleFigures[] = built.map((item) => {
    const runs = samples.get(item.name) ?? [];
    const init = runs.map((sample) => sample.initMs);
    const sinceStart = runs.map((sample) => sample.sinceStartMs);
    const medianSinceProcessStartMs = round(median(sinceStart), 1);
    return {
      name: item.name,
      entry: item.entry.startsWith(outRoot) ? `(generated) ${item.name}` : item.entry,
      bytes: item.figures.bytes,
      sourceMapBytes: item.figures.mapBytes,
      topInputs: item.figures.topInputs,
      ...(item.sdkFromRuntime ? { bytesSdkFromRuntime: item.sdkFromRuntime.bytes } : {}),
      coldInit: {
        runs: runs.length,
        medianMs: round(median(init), 1),
        p10Ms: round(percentile(init, 0.1), 1),
        p90Ms: round(percentile(init, 0.9), 1),
        medianSinceProcessStartMs,
        p10SinceProcessStartMs: round(percentile(sinceStart, 0.1), 1),
        p90SinceProcessStartMs: round(percentile(sinceStart, 0.9), 1),
        ...(item.name === "hello-world" ? {} : { toHelloWorld: round(medianSinceProcessStartMs / helloSinceStart, 2) }),
      },
    };
  });
  const api = bundles.find((b) => b.name === "api") as BundleFigures;
  const sdkClientsOnly = bundles.find((b) => b.name === "sdk-clients-only") as BundleFigures;
  const ours = bundles.filter((b) => b.name === "api" || b.name === "change-feed");
  const coldInitRatioLimit = 1.3;
  rmSync(outRoot, { recursive: true, force: true });
  return {
    target: handlerTarget,
    bundles,
    ourShareMs: round(api.coldInit.medianSinceProcessStartMs - sdkClientsOnly.coldInit.medianSinceProcessStartMs, 1),
    budgets: {
      apiBytes: { limit: 250 * 1024, met: (api.bytesSdkFromRuntime ?? api.bytes) <= 250 * 1024 },
      coldInitRatio: {
        limit: coldInitRatioLimit,
        met: ours.every((b) => (b.coldInit.toHelloWorld ?? Number.POSITIVE_INFINITY) <= coldInitRatioLimit),
      },
    },
  };
}

type Built = Awaited<ReturnType<typeof bundle>>;

/** The output files a process loads when it imports `entry`: it and what it imports statically, transitively. */
function loadedAtInit(metafile: Metafile, entry: string | undefined): string[] {
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  if (entry) visit(entry);
  return [...loaded];
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
  // What a cold start loads: the entry and the chunks it imports statically (chunks imported on first use, like the
  // S3 client of large payloads, load later and are not counted).
  const loaded = loadedAtInit(
    metafile,
    Object.keys(metafile.outputs).find((path) => path.endsWith("index.mjs")),
  );
  const topInputs = loaded
    .flatMap((path) => Object.entries(metafile.outputs[path]?.inputs ?? {}))
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  const bytes = loaded.reduce((sum, path) => sum + statSync(join(projectRoot, path)).size, 0);
  const mapBytes = loaded.reduce((sum, path) => sum + statSync(join(projectRoot, `${path}.map`)).size, 0);
  return { file, bytes, mapBytes, topInputs };
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
    // On a line of its own, last: anything the handler printed comes before it.
    'process.stdout.write("\\n" + JSON.stringify({ initMs: served - begun, sinceStartMs: served }) + "\\n");',
  ].join("\n");
  const env = {
    PATH: process.env.PATH ?? "",
    ...localAwsEnvironment(),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    [environmentVariables.tableName]: "bench-cold-start",
    // Lambda sets it; with it the entries build their Powertools observability as they do in AWS.
    AWS_LAMBDA_FUNCTION_NAME: "bench-cold-start",
    // With a topic the change-feed handler builds its SNS client at load, as it does in AWS.
    [environmentVariables.topicArn]: "arn:aws:sns:us-east-1:000000000000:bench-cold-start",
    // The rest of what the construct gives the API: the payload bucket, the operation queue and its replay targets.
    [environmentVariables.payloadBucket]: "bench-cold-start-payloads",
    [environmentVariables.payloadThresholdBytes]: "358400",
    [environmentVariables.operationsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/bench-cold-start",
    [environmentVariables.allowedReplayTargets]: '["arn:aws:sqs:us-east-1:000000000000:bench-*"]',
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
      if (code === 0) resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
      else reject(new Error(`cold start of ${file} exited with ${code}: ${stderr.trim().split("\n").pop()}`));
    });
  });
}

/**
 * The API's first event: reading a stream's events, refused with a 400 for its stream id before the store is asked
 * (see the header: a whole request through router, schemas and answer that needs no network; liveness asks DynamoDB,
 * which the harness has not got, and its failing lookups would be measured instead of our code).
 */
function typicalRequestEvent() {
  return functionUrlEvent("/streams/bench/not-a-uuid/events");
}

/** A function-URL event (payload format 2.0) for GET `path`. */
function functionUrlEvent(path: string) {
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "bench.lambda-url.us-east-1.on.aws" },
    requestContext: {
      accountId: "anonymous",
      apiId: "bench",
      domainName: "bench.lambda-url.us-east-1.on.aws",
      domainPrefix: "bench",
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench-cold-start",
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}
