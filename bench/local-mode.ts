/** Starts and steers the local-mode child process (bench/local-mode-server.ts). */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LocalModeCommand, LocalModeMessage } from "./local-mode-server.ts";

export interface LocalMode {
  /** Base URL of the API, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The local SNS/SQS endpoint and the topic the change feed publishes to. */
  snsEndpoint: string;
  topicArn: string;
  /** Stops the change feed (the API keeps serving): HTTP load then measures the API alone. */
  stopChangeFeed(): Promise<void>;
  /** The API process's user + system CPU time so far, in microseconds. */
  cpuUsage(): Promise<number>;
  stop(): Promise<void>;
}

const serverScript = fileURLToPath(new URL("./local-mode-server.ts", import.meta.url));

export async function startLocalMode(options: { dynamoDbEndpoint: string; tableName: string }): Promise<LocalMode> {
  // BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile of the API process there (docs/performance.md, the request path).
  const profile = process.env.BENCH_CPU_PROF_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
    : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      "--import",
      "tsx",
      serverScript,
      "--dynamodb-endpoint",
      options.dynamoDbEndpoint,
      "--table",
      options.tableName,
    ],
    { stdio: ["ignore", "inherit", "inherit", "ipc"], env: process.env },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const ready = await nextMessage(child, "ready", 60_000);
    if (ready.type !== "ready") throw new Error("unexpected message");
    return {
      url: ready.url,
      snsEndpoint: ready.snsEndpoint,
      topicArn: ready.topicArn,
      stopChangeFeed: async () => {
        const answer = nextMessage(child, "change-feed-stopped", 30_000);
        command(child, { type: "stop-change-feed" });
        await answer;
      },
      cpuUsage: async () => {
        const answer = nextMessage(child, "cpu-usage", 10_000);
        command(child, { type: "cpu-usage" });
        const message = await answer;
        return message.type === "cpu-usage" ? message.micros : Number.NaN;
      },
      stop: () => stopChild(child, exited),
    };
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
}

function command(child: ChildProcess, message: LocalModeCommand): void {
  child.send(message);
}

function nextMessage(
  child: ChildProcess,
  type: LocalModeMessage["type"],
  timeoutMs: number,
): Promise<LocalModeMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`local mode sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: LocalModeMessage) => {
      if (message.type === type) finish(undefined, message);
    };
    const onExit = (code: number | null) => finish(new Error(`local mode exited with ${code} before "${type}"`));
    const finish = (error?: Error, message?: LocalModeMessage) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(message as LocalModeMessage);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) command(child, { type: "exit" });
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref());
  if ((await Promise.race([exited, timeout])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}
