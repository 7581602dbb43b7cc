/**
 * The Java side of DynamoDB Local: checking that Java 17+ is there, and the command that starts the engine bound
 * to one address. DynamoDB Local itself has no host option, so `DynamoDbLocalLoopback.java` (next to this file)
 * starts it with its Jetty connector bound to that address. It is compiled once, with the `jdk.compiler` module
 * of the very `java` that runs it (no `javac` binary needed), into `.ddblocal/loopback-launcher/<hash>/`.
 * A Java without that module (some slim JREs) falls back to the plain jar, which listens on every interface;
 * the caller is told so and says it.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const minimumJavaVersion = 17;
const javaInstallHint = "install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless) and run again";

const launcherSource = fileURLToPath(new URL("DynamoDbLocalLoopback.java", import.meta.url));
const launcherClass = "DynamoDbLocalLoopback";

/** How to start DynamoDB Local: the `java` arguments after the JVM options, and where it will listen. */
export interface DynamoDbLocalCommand {
  /** `-cp … DynamoDbLocalLoopback <host>` or `-jar DynamoDBLocal.jar`; DynamoDB Local's own options follow. */
  args: string[];
  /** The address it binds: the host asked for, or undefined for every interface (the fallback). */
  host: string | undefined;
  /** Why it binds every interface, when it does. */
  fallbackReason?: string;
}

/**
 * The command that starts DynamoDB Local on `host` only, compiling the launcher on first use. Never throws for
 * a missing compiler: it answers the plain jar (every interface) with the reason instead.
 */
export async function dynamoDbLocalCommand(installDir: string, host: string): Promise<DynamoDbLocalCommand> {
  const jar = join(installDir, "DynamoDBLocal.jar");
  const plainJar = (reason: string): DynamoDbLocalCommand => ({
    args: ["-jar", jar],
    host: undefined,
    fallbackReason: reason,
  });
  let classDir: string;
  try {
    classDir = await compiledLauncher(installDir, jar);
  } catch (error) {
    return plainJar((error as Error).message);
  }
  return { args: ["-cp", `${jar}${delimiter}${classDir}`, launcherClass, host], host };
}

/** The folder holding the compiled launcher for the current source; compiles it there when missing. */
async function compiledLauncher(installDir: string, jar: string): Promise<string> {
  const hash = createHash("sha256").update(readFileSync(launcherSource)).digest("hex").slice(0, 16);
  const classDir = join(installDir, "loopback-launcher", hash);
  if (existsSync(join(classDir, `${launcherClass}.class`))) return classDir;

  // Compile beside the target and rename into place: concurrent starts (parallel tests) never see half a class.
  const parent = join(installDir, "loopback-launcher");
  const work = mkdtempSync(join(installDir, "loopback-launcher-tmp-"));
  try {
    const compiler = ["-m", "jdk.compiler/com.sun.tools.javac.Main", "--release", "17", "-nowarn"];
    await run("java", [...compiler, "-cp", jar, "-d", work, launcherSource]);
    mkdirSync(parent, { recursive: true });
    try {
      renameSync(work, classDir);
    } catch (error) {
      // Another start compiled the same source first: use theirs.
      if (!existsSync(join(classDir, `${launcherClass}.class`))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return classDir;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      // The JVM prints "Module jdk.compiler not found" on stdout; javac's errors go to stderr.
      const lines = `${stderr}\n${stdout}`.split("\n").map((line) => line.trim());
      const telling = lines.filter((line) => /error|exception/i.test(line)).slice(0, 2);
      const cause = telling.length > 0 ? telling.join("; ") : error.message;
      reject(new Error(`cannot compile the loopback launcher (${cause})`));
    });
  });
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
