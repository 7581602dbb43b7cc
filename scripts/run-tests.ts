/**
 * `npm test`: builds the package (dist/), starts ONE in-memory DynamoDB Local for the whole run, then Node's test runner over every
 * `test/**\/*.test.ts` file (Node 20 does not find .ts test files itself).
 *
 * One instance, few tables: DynamoDB Local slows down as stream records pile up in stream-enabled tables, so
 * test files share this instance and a handful of tables (see test/support/dynamodb.ts).
 *
 * Usage: npm test [-- <path filter>… <node --test option>…]
 *   npm test -- test/local                 only files whose path contains "test/local"
 *   npm test -- --test-name-pattern=poller options starting with "-" go to node --test
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { localAwsEnvironment } from "#local/aws-local.ts";
import { dynamoDbEndpointVariable, startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { buildPackage } from "./build.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function findTestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : findTestFiles(path);
    return entry.name.endsWith(".test.ts") ? [relative(root, path).split(sep).join("/")] : [];
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const nodeOptions = args.filter((arg) => arg.startsWith("-"));
  const filters = args.filter((arg) => !arg.startsWith("-")).map((arg) => arg.replace(/^\.\//, ""));
  const files = findTestFiles(join(root, "test"))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(" ")}`);
    return 1;
  }

  // The lockfile keeps the SDK on versions that run on Node 20; its "Node 22 needed from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // The stack tests synthesize the construct, which deploys the prebuilt handler bundles, and the package test
  // packs dist/: build today's.
  await buildPackage();
  const dynamoDb = await startDynamoDbLocal({ inMemory: true });
  let child: ReturnType<typeof spawn> | undefined;
  // Ctrl-C reaches the whole process group; wait for the runner to finish, then stop Java in `finally`.
  const forward = (signal: NodeJS.Signals) => child?.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  try {
    child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=4", ...nodeOptions, ...files], {
      cwd: root,
      stdio: "inherit",
      env: {
        ...process.env,
        ...localAwsEnvironment(),
        [dynamoDbEndpointVariable]: dynamoDb.endpoint,
      },
    });
    const running = child;
    return await new Promise<number>((resolve, reject) => {
      running.once("error", reject);
      running.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
    await dynamoDb.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
