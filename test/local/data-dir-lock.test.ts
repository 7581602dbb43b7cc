import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { lockDataDir, lockFileName } from "#local/data-dir-lock.ts";

describe("the data folder lock (one npm start per folder)", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "event-store-lock-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const lockFile = () => join(dataDir, lockFileName);

  it("holds this process's pid while taken and is gone once released", () => {
    const lock = lockDataDir(dataDir);
    assert.equal(readFileSync(lockFile(), "utf8").trim(), String(process.pid));
    lock.release();
    lock.release();
    assert.ok(!existsSync(lockFile()));
  });

  it("a folder held by a live process is refused, naming the folder and the pid", (t) => {
    const holder = spawn("sleep", ["30"]);
    t.after(() => holder.kill("SIGKILL"));
    writeFileSync(lockFile(), `${holder.pid}\n`);
    assert.throws(
      () => lockDataDir(dataDir),
      (error: Error) => {
        assert.ok(error.message.includes(dataDir), error.message);
        assert.ok(error.message.includes(`pid ${holder.pid}`), error.message);
        assert.ok(!error.message.includes("\n"));
        return true;
      },
    );
    assert.equal(readFileSync(lockFile(), "utf8").trim(), String(holder.pid), "the holder's lock is untouched");
  });

  it("a stale lock (its pid is gone) or an unreadable one is taken over", () => {
    const finished = spawnSync("true");
    for (const content of [`${finished.pid}\n`, "not a pid"]) {
      writeFileSync(lockFile(), content);
      const lock = lockDataDir(dataDir);
      assert.equal(readFileSync(lockFile(), "utf8").trim(), String(process.pid));
      lock.release();
    }
  });

  it("release leaves a lock that another process has taken since", () => {
    const lock = lockDataDir(dataDir);
    writeFileSync(lockFile(), "1\n");
    lock.release();
    assert.equal(readFileSync(lockFile(), "utf8").trim(), "1");
  });
});
