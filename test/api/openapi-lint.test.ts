import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type CallApi, testApi } from "#test/support/store.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

/** `redocly lint` of a document with the repository's redocly.yaml, offline: its JSON report. */
function redoclyLint(file: string): Promise<LintReport> {
  const args = ["lint", file, "--config", join(root, "redocly.yaml"), "--format=json"];
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
  return new Promise((resolve, reject) => {
    // A document with errors makes it exit 1; the report on stdout says which, so it is read either way.
    execFile(join(root, "node_modules/.bin/redocly"), args, { cwd: root, env }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as LintReport);
      } catch {
        reject(new Error(`redocly lint gave no report (${error?.message ?? "no error"}): ${stderr}`));
      }
    });
  });
}

/** Each problem on one line, so that a failure says what to fix. */
function listed(report: LintReport): string[] {
  return report.problems.map(
    (problem) => `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? "?"}: ${problem.message}`,
  );
}

describe("redocly lint of the served OpenAPI document (recommended rules)", () => {
  let call: CallApi;
  let dir: string;
  before(async () => {
    ({ call } = await testApi());
    dir = await mkdtemp(join(tmpdir(), "openapi-lint-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: { name: string; headers: Record<string, string> }[] = [
    { name: "as a function URL serves it", headers: { host: "abc123.lambda-url.eu-west-1.on.aws" } },
    { name: "as local mode serves it", headers: { host: "127.0.0.1:3000", "x-forwarded-proto": "http" } },
    { name: "without a Host to take the server from (the placeholder server)", headers: {} },
  ];
  for (const { name, headers } of cases) {
    it(`${name}: no error and no warning`, async () => {
      const response = await call("GET", "/openapi.json", { headers });
      assert.equal(response.status, 200);
      const file = join(dir, `${name.replaceAll(/\W+/g, "-")}.json`);
      await writeFile(file, response.body);
      const report = await redoclyLint(file);
      assert.deepEqual(listed(report), []);
      assert.deepEqual(report.totals.errors + report.totals.warnings, 0);
    });
  }
});
