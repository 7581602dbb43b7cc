/**
 * Runs AWS's DynamoDB Local (the jar fetched into `.ddblocal/`) as a child Java process, for `npm start`,
 * the tests and the benchmarks.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localAwsClientConfig } from "./aws-local.ts";
import { ensureDynamoDbLocal } from "./fetch-dynamodb-local.mjs";

/**
 * The variable through which a parent process (the test runner) tells its children where its DynamoDB Local runs.
 * Only the tests read it; handlers get their configuration passed in.
 */
export const dynamoDbEndpointVariable = "DYNAMODB_ENDPOINT";

export interface DynamoDbLocalOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Folder for the database file; created if missing. Ignored when `inMemory` is true. */
  dataDir?: string;
  /** Keep nothing on disk. Defaults to true when no `dataDir` is given. */
  inMemory?: boolean;
  /** How long to wait for the first ListTables answer, in milliseconds (default 30 000). */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:8000`. */
  endpoint: string;
  port: number;
  /** Sends SIGTERM to Java and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const minimumJavaVersion = 17;
const javaInstallHint = "install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless) and run again";

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * Throws an Error with a one-line message when Java is missing or older than 17, when the port is taken,
 * or when the engine does not come up in time (the message then carries the tail of Java's output).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  assertJavaVersion();
  const installDir: string = ensureDynamoDbLocal();
  const port = options.port ? await assertPortFree(options.port) : await findFreePort();
  const inMemory = options.inMemory ?? options.dataDir === undefined;

  const storage: string[] = [];
  if (inMemory) {
    storage.push("-inMemory");
  } else {
    const dataDir = resolve(options.dataDir ?? ".event-store");
    mkdirSync(dataDir, { recursive: true });
    storage.push("-dbPath", dataDir);
  }
  const args = [
    // C1 only: the engine is ready in ~3.5 s instead of ~5 s; local loads never need C2's peak speed.
    "-XX:TieredStopAtLevel=1",
    `-Djava.library.path=${join(installDir, "DynamoDBLocal_lib")}`,
    "-jar",
    join(installDir, "DynamoDBLocal.jar"),
    "-port",
    String(port),
    // One database for every access key and region, so the CLI, tests and handlers all see the same tables.
    "-sharedDb",
    "-disableTelemetry",
    ...storage,
  ];
  const java = spawn("java", args, { cwd: installDir, stdio: ["ignore", "pipe", "pipe"] });
  const output = new OutputTail();
  java.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  java.stderr?.on("data", (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolveExit) => java.once("exit", () => resolveExit()));

  // Node does not take its children down with it; without this a crashed test run leaves Java holding the port.
  const killOnExit = () => java.kill("SIGKILL");
  process.on("exit", killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (java.exitCode === null && java.signalCode === null) java.kill("SIGTERM");
    }
    await exited;
    process.off("exit", killOnExit);
  };

  try {
    await waitUntilReady(endpoint, java, output, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop };
}

/** Throws a one-line, actionable Error when `java` is missing or older than 17. */
export function assertJavaVersion(): void {
  const result = spawnSync("java", ["-version"], { encoding: "utf8", timeout: 15_000 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? `Java ${minimumJavaVersion}+ is needed for DynamoDB Local and there is no \`java\` on the PATH: ${javaInstallHint}`
        : `Java ${minimumJavaVersion}+ is needed for DynamoDB Local but \`java -version\` failed (${result.error.message}): ${javaInstallHint}`,
    );
  }
  const version = parseJavaMajorVersion(`${result.stderr}\n${result.stdout}`);
  if (version === undefined || version < minimumJavaVersion) {
    const found = version === undefined ? "an unrecognised Java" : `Java ${version}`;
    throw new Error(`Java ${minimumJavaVersion}+ is needed for DynamoDB Local, found ${found}: ${javaInstallHint}`);
  }
}

/** Reads the major version from `java -version` output: `"1.8.0_392"` → 8, `"17.0.15"` → 17, `"21"` → 21. */
export function parseJavaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** Asks the kernel for a free TCP port by binding port 0, then releases it for the caller to use. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// DynamoDB Local binds every interface; probing the same way turns "port taken" into a clear error up front
// instead of a Java stack trace.
function assertPortFree(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `port ${port} for DynamoDB Local is in use: pass --dynamodb-port with another port (or 0 for a free one)`
            : `cannot use port ${port} for DynamoDB Local: ${error.message}`,
        ),
      ),
    );
    server.listen(port, () => server.close(() => resolvePort(port)));
  });
}

async function waitUntilReady(
  endpoint: string,
  java: ChildProcess,
  output: OutputTail,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({ ...localAwsClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (java.exitCode !== null || java.signalCode !== null) {
        const reason = /Address already in use|BindException/.test(output.text())
          ? `port ${endpoint.split(":").pop()} is in use`
          : `Java exited with ${java.exitCode ?? java.signalCode}`;
        throw new Error(`DynamoDB Local did not start: ${reason}. Its output ended with: ${output.lastLines()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch {
        // Not listening yet (connection refused) or still initialising; poll again shortly.
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer within ${timeoutMs / 1000} s. Its output ended with: ${output.lastLines()}`,
        );
      }
      await new Promise((wake) => setTimeout(wake, 100));
    }
  } finally {
    client.destroy();
  }
}

/** Keeps the last few kilobytes of Java's output for error messages, without buffering it all. */
class OutputTail {
  private buffer = "";
  push(chunk: Buffer): void {
    this.buffer = (this.buffer + chunk.toString("utf8")).slice(-4096);
  }
  text(): string {
    return this.buffer;
  }
  lastLines(count = 5): string {
    const lines = this.buffer.trim().split("\n").slice(-count);
    return lines.length > 0 && lines[0] !== "" ? lines.join(" | ") : "(nothing)";
  }
}
