/**
 * One `npm start` per data folder: two DynamoDB Locals on one database file, or two change feeds on one
 * checkpoint file, would corrupt each other. The folder holds a lock file with the owner's pid, created
 * exclusively; a lock whose pid is no longer running (a crash, a SIGKILL, a reboot) is stale and taken over.
 *
 * Best effort by design: two starts that find the same stale lock in the same millisecond could both take it
 * over. That needs two people starting two stores on one folder at once after a crash; a plain second start,
 * the mistake this guards against, always gets the clear error.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const lockFileName = "npm-start.lock";

export interface DataDirLock {
  path: string;
  /** Removes the lock file if it is still ours. Safe to call twice, and from an `exit` hook (synchronous). */
  release(): void;
}

/**
 * Takes the lock of `dataDir` (created when missing) for this process.
 *
 * Throws a one-line Error naming the folder and the pid that holds it when another live process does.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, lockFileName);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw lockError(dataDir, path, error);
    }
    const holder = readHolder(path);
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
      throw new Error(
        `the data folder ${dataDir} is in use by another npm start (pid ${holder}): stop that one first, or pass ` +
          `--data-dir DIR or --in-memory (if pid ${holder} is not an npm start, delete ${path})`,
      );
    }
    // Stale: its owner is gone (or it is unreadable, or a pid reused by this very process after a restart).
    try {
      unlinkSync(path);
    } catch {
      // Another start removed it first; the exclusive create decides between us.
    }
  }

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    try {
      if (readHolder(path) === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.on("exit", release);
  return { path, release };
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that a process exists without touching it; EPERM means it exists under another user. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockError(dataDir: string, path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EEXIST") return new Error(`the data folder ${dataDir} is being taken by another npm start (${path})`);
  return new Error(`cannot lock the data folder ${dataDir} (${path}): ${(error as Error).message}`);
}
