/** What the figures were measured on: machine, runtimes and package versions, for the JSON report. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dynamoDbLocalDir } from "#local/fetch-dynamodb-local.mjs";
import { round } from "./stats.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

const reportedPackages = [
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/client-dynamodb-streams",
  "@aws-sdk/client-sns",
  "@aws-sdk/client-sqs",
  "@aws-sdk/lib-dynamodb",
  "aws-cdk-lib",
  "fauxqs",
  "esbuild",
  "autocannon",
  "tsx",
];

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} (${os.platform()} ${os.arch()})`,
  };
}

export function versions() {
  return {
    node: process.version,
    java: javaVersion(),
    dynamoDbLocal: dynamoDbLocalVersion(),
    project: packageVersion(projectRoot),
    packages: Object.fromEntries(
      reportedPackages.map((name) => [name, packageVersion(join(projectRoot, "node_modules", name))]),
    ),
  };
}

function packageVersion(dir: string): string {
  try {
    return String(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version);
  } catch {
    return "not installed";
  }
}

function javaVersion(): string {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  const line = `${result.stderr ?? ""}${result.stdout ?? ""}`.split("\n")[0]?.trim();
  return line || "unknown";
}

/** DynamoDB Local's README lists its releases newest first: "2024-11-06 (1.25.1)". */
function dynamoDbLocalVersion(): string {
  try {
    const readme = readFileSync(join(dynamoDbLocalDir, "README.txt"), "utf8");
    return /\((\d+\.\d+\.\d+)\)/.exec(readme)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}
