import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { it } from "node:test";
import { promisify } from "node:util";

it("the console's browser modules type-check against the DOM by their JSDoc types", async () => {
  // The root tsconfig checks Node code only (no DOM, no JavaScript); local/console/tsconfig.json checks the page's.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const run = await promisify(execFile)(process.execPath, [tsc, "-p", "local/console"]).catch(
    (error: { stdout: string; code: number }) => error,
  );
  assert.equal("code" in run ? run.stdout : "", "");
});
