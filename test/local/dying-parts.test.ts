import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { Agent, get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { lockFileName } from "#local/data-dir-lock.ts";
import { eventually, processGone, type RunningLocalMode, runLocalModeToEnd, startLocalMode } from "./support.ts";

/** Generous: that it happens at all is the point, never how fast. */
const deadlineMs = 20_000;

describe("npm start on a data folder: one per folder, and DynamoDB Local dying stops it", () => {
  let dataDir: string;
  let local: RunningLocalMode;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "event-store-dying-"));
    local = await startLocalMode(["--data-dir", dataDir, "--port", "0", "--sns-port", "0"]);
  });
  after(async () => {
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a second npm start on the same folder fails with a line naming the folder and the pid holding it", async () => {
    const second = await runLocalModeToEnd(["--data-dir", dataDir, "--port", "0", "--sns-port", "0"]);
    assert.equal(second.code, 1);
    const lines = second.stderr.trim().split("\n");
    assert.equal(lines.length, 1, second.stderr);
    assert.ok(lines[0]?.includes(dataDir), second.stderr);
    assert.ok(lines[0]?.includes(`pid ${local.child.pid}`), second.stderr);
  });

  it("DynamoDB Local killed: npm start exits 1 with one line saying so, and the data is kept", async () => {
    // Eight clients on keep-alive connections that never let go, as load tests and SDKs do: the exit must not wait
    // for them (the server cuts their connections after a short grace).
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let exited = false;
    let answered = 0;
    const client = async () => {
      while (!exited) {
        await new Promise<void>((resolve) => {
          const request = get(`${local.apiUrl}/liveness-check`, { agent }, (response) => {
            answered++;
            response.resume();
            response.on("end", () => resolve());
          });
          request.on("error", () => setTimeout(resolve, 5));
        });
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await eventually(() => answered > 50, deadlineMs);
    const pid = local.dynamoDb?.pid as number;
    process.kill(pid, "SIGKILL");
    const code = await Promise.race([
      local.exited,
      new Promise((resolve) => setTimeout(resolve, deadlineMs, "still running")),
    ]);
    exited = true;
    await Promise.all(clients);
    agent.destroy();
    assert.equal(code, 1);
    const problem = local
      .output()
      .split("\n")
      .filter((line) => line.startsWith("npm start:"));
    assert.equal(problem.length, 1, local.output());
    assert.match(problem[0] as string, new RegExp(`DynamoDB Local \\(pid ${pid}\\) was killed \\(SIGKILL\\)`));
    assert.ok(problem[0]?.includes(`data in ${dataDir} is kept`), problem[0]);
  });

  it("that exit releases the folder: its lock file is gone", () => {
    assert.ok(!readdirSync(dataDir).includes(lockFileName), readdirSync(dataDir).join(", "));
  });
});

describe("npm start killed with SIGKILL", () => {
  it("leaves no DynamoDB Local behind", async () => {
    const local = await startLocalMode(["--in-memory", "--port", "0", "--sns-port", "0"]);
    const javaPid = local.dynamoDb?.pid as number;
    assert.ok(!processGone(javaPid), "Java runs");
    local.child.kill("SIGKILL");
    await local.stop();
    assert.ok(
      await eventually(() => processGone(javaPid), deadlineMs),
      `DynamoDB Local (pid ${javaPid}) outlived npm start`,
    );
  });
});
