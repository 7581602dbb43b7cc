/** Local mode's wrapping key of personal data (SPEC section 13): made once in the data folder, owner-only, kept. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadWrappingKey, wrappingKeyFile } from "#local/subject-wrapping-key.ts";

describe("the local subject wrapping key", () => {
  it("is made on the first start with mode 0600 and read back the same on the next", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wrapping-key-"));
    try {
      const first = loadWrappingKey(dataDir);
      assert.equal(first.length, 32);
      assert.equal(statSync(join(dataDir, wrappingKeyFile)).mode & 0o777, 0o600);
      assert.deepEqual(loadWrappingKey(dataDir), first);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("lives in memory without a data folder: a new one each time", () => {
    assert.notDeepEqual(loadWrappingKey(undefined), loadWrappingKey(undefined));
  });
});
