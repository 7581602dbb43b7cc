/**
 * No orphans: a child process (DynamoDB Local's Java) must end when this Node process ends, however it ends.
 * Node has no PR_SET_PDEATHSIG, and an `exit` hook does not run on SIGKILL or a crash of the runtime itself.
 *
 * So each guarded child gets a tiny `sh` watchdog whose stdin is a pipe from this process. Nothing is ever
 * written to it: the watchdog only waits for end of file, which the kernel delivers when the last writer closes,
 * that is when this process is gone for any reason. It then sends SIGTERM to the child (a clean stop), and
 * SIGKILL if the child is still there 5 s later (a child stopped with SIGSTOP never handles SIGTERM).
 * The watchdog runs in its own process group, so a Ctrl-C in the terminal does not take it down first.
 */
import { type ChildProcess, spawn } from "node:child_process";

const watchdogScript = [
  // Blocks until end of file: this process is gone.
  "while read -r _; do :; done",
  'kill -TERM "$1" 2>/dev/null || exit 0',
  'for _ in 1 2 3 4 5 6 7 8 9 10; do sleep 0.5; kill -0 "$1" 2>/dev/null || exit 0; done',
  'kill -KILL "$1" 2>/dev/null',
].join("\n");

export interface Watchdog {
  /** The watchdog's pid (for tests), undefined when `sh` could not be started. */
  pid: number | undefined;
  /** Ends the watchdog; call it once the child has exited, so it never signals a pid reused by another process. */
  release(): void;
}

/**
 * Ends `child` when this process ends. Without `sh` (Windows) this does nothing and the child relies on the
 * caller's `exit` hook alone.
 */
export function guardChild(child: ChildProcess): Watchdog {
  if (child.pid === undefined) return { pid: undefined, release: () => {} };
  const watchdog = spawn("sh", ["-c", watchdogScript, "local-mode-watchdog", String(child.pid)], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  watchdog.on("error", () => {});
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog.stdin?.on("error", () => {});
  return {
    pid: watchdog.pid,
    release: () => {
      if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill("SIGKILL");
    },
  };
}
