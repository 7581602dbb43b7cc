/** `npm start` as a user runs it, and what the tests of local mode look at from outside: sockets and processes. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";

export interface RunningLocalMode {
  child: ChildProcess;
  apiUrl: string;
  snsEndpoint: string;
  /** Undefined with --dynamodb-endpoint. */
  dynamoDb?: { endpoint: string; pid: number };
  /** The local S3 (s3rver) holding the payload bucket. */
  s3Endpoint: string;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** Its exit code, once it has exited by itself. */
  exited: Promise<number | null>;
  /** Ctrl-C, and the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `local/start.ts` with these arguments (as `npm start -- …` would), and `env` added to this process's
 * environment, and waits for its banner.
 */
export async function startLocalMode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningLocalMode> {
  const { child, output, exited } = runStart(args, env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output()}`)), 60_000);
    exited.then(({ code }) => reject(new Error(`npm start exited with ${code}:\n${output()}`)));
    child.stdout?.on("data", () => {
      const text = output();
      if (!text.includes("Ctrl-C stops everything")) return;
      clearTimeout(timer);
      const dynamoDb = /DynamoDB\s+(http:\/\/\S+)\s+\(pid (\d+)/.exec(text);
      resolve({
        child,
        apiUrl: match(/API\s+(http:\/\/\S+)/, text),
        snsEndpoint: match(/Notifications\s+(http:\/\/\S+)/, text),
        s3Endpoint: match(/S3\s+(http:\/\/\S+)/, text),
        ...(dynamoDb ? { dynamoDb: { endpoint: dynamoDb[1] as string, pid: Number(dynamoDb[2]) } } : {}),
        output,
        exited: exited.then(({ code }) => code),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
          return (await exited).code;
        },
      });
    });
  });
}

/** Runs `local/start.ts` to its end (for runs that must fail, or --help). */
export async function runLocalModeToEnd(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { exited, stdout, stderr } = runStart(args);
  const { code } = await exited;
  return { code, stdout: stdout(), stderr: stderr() };
}

function runStart(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  let all = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
    all += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    err += chunk;
    all += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal }));
  return { child, exited, output: () => all, stdout: () => out, stderr: () => err };
}

function match(pattern: RegExp, text: string): string {
  const found = pattern.exec(text)?.[1];
  if (!found) throw new Error(`${pattern} not in the banner:\n${text}`);
  return found;
}

/**
 * The local addresses listening on TCP `port`, from /proc/net/tcp and tcp6: `127.0.0.1`, `::1`,
 * `::ffff:127.0.0.1` (an IPv6 socket bound to the IPv4 loopback), or `0.0.0.0` / `::` for every interface.
 */
export function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const [file, decode] of [
    ["/proc/net/tcp", decodeIpv4],
    ["/proc/net/tcp6", decodeIpv6],
  ] as const) {
    for (const line of readFileSync(file, "utf8").trim().split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, hexPort] = (local ?? "").split(":");
      // State 0A is LISTEN.
      if (state === "0A" && Number.parseInt(hexPort ?? "", 16) === port) addresses.push(decode(address ?? ""));
    }
  }
  return addresses;
}

// /proc prints each 32-bit word of an address in host byte order (little endian here).
function littleEndianWord(hex: string): number[] {
  return (hex.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)).reverse();
}

function decodeIpv4(hex: string): string {
  return littleEndianWord(hex).join(".");
}

function decodeIpv6(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap(littleEndianWord);
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (mapped) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups = [];
  for (let index = 0; index < 16; index += 2)
    groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

export const loopbackAddresses = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];

/** True once `pid` has ended: gone, or a zombie waiting for a parent that is not us. */
export function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** Polls `condition` every 100 ms until it holds; false when `timeoutMs` passed first. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((wake) => setTimeout(wake, 100));
  }
}
