/**
 * Runs AWS's DynamoDB Local (the jar fetched into `.ddblocal/`) as a child Java process, for `npm start`,
 * the tests and the benchmarks: bound to 127.0.0.1 (through the launcher of java.ts), in a process group of its
 * own (a Ctrl-C reaches Node, which stops the parts in order), and never outliving this process (watchdog.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localAwsClientConfig } from "./aws-local.ts";
import { ensureDynamoDbLocal } from "./fetch-dynamodb-local.mjs";
import { assertJavaVersion, dynamoDbLocalCommand } from "./java.ts";
import { guardChild } from "./watchdog.ts";

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
  /** Told (once, one line) when DynamoDB Local has to listen on every interface. Default: console.error. */
  onWarning?: (message: string) => void;
}

/** How Java ended. */
export interface DynamoDbLocalExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when `stop()` asked for it; false when Java died or was killed by someone else. */
  expected: boolean;
}

export interface DynamoDbLocal {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:8000`. */
  endpoint: string;
  port: number;
  /** Java's pid (for tests that freeze or kill it). */
  pid: number;
  /** The address it listens on: 127.0.0.1, or 0.0.0.0 when the loopback launcher could not be built. */
  bindAddress: string;
  /** Resolves when Java has exited, for whatever reason. */
  exited: Promise<DynamoDbLocalExit>;
  /** Sends SIGTERM to Java and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Where DynamoDB Local listens: local mode has no authentication, so never beyond this machine. */
const loopback = "127.0.0.1";

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * Throws an Error with a one-line message when Java is missing or older than 17, when the port is taken,
 * or when the engine does not come up in time (the message then carries the tail of Java's output).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  assertJavaVersion();
  const installDir: string = ensureDynamoDbLocal();
  const command = await dynamoDbLocalCommand(installDir, loopback);
  if (command.fallbackReason) {
    (options.onWarning ?? console.error)(
      `warning: DynamoDB Local listens on every interface, not only ${loopback}: ${command.fallbackReason}. ` +
        "Use a Java 17+ that has the jdk.compiler module (any JDK, or Debian's openjdk-17-jre-headless).",
    );
  }
  const bindAddress = command.host ?? "0.0.0.0";
  const port = options.port ? await assertPortFree(options.port, command.host) : await findFreePort();
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
    ...command.args,
    "-port",
    String(port),
    // One database for every access key and region, so the CLI, tests and handlers all see the same tables.
    "-sharedDb",
    "-disableTelemetry",
    ...storage,
  ];
  // A process group of its own: a Ctrl-C in the terminal reaches Node only, which stops the parts in order.
  const java = spawn("java", args, { cwd: installDir, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const watchdog = guardChild(java);
  const output = new OutputTail();
  java.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  java.stderr?.on("data", (chunk: Buffer) => output.push(chunk));

  // The watchdog covers a killed Node; this covers an ordinary exit sooner (and where there is no `sh`).
  const killOnExit = () => java.kill("SIGKILL");
  process.on("exit", killOnExit);

  let stopped = false;
  const exited = new Promise<DynamoDbLocalExit>((resolveExit) =>
    java.once("exit", (code, signal) => {
      watchdog.release();
      process.off("exit", killOnExit);
      resolveExit({ code, signal, expected: stopped });
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (java.exitCode === null && java.signalCode === null) java.kill("SIGTERM");
    }
    // A Java stopped with SIGSTOP keeps SIGTERM pending forever; it still ends.
    const kill = setTimeout(() => java.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
  };

  try {
    await waitUntilReady(endpoint, java, output, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid: java.pid as number, bindAddress, exited, stop };
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

// Probing the address DynamoDB Local will bind (every interface when `host` is undefined) turns "port taken" into
// a clear error up front instead of a Java stack trace.
function assertPortFree(port: number, host: string | undefined): Promise<number> {
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
    server.listen(port, host, () => server.close(() => resolvePort(port)));
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
