// Puts AWS's DynamoDB Local (the jar and its native libraries) into .ddblocal/ once.
// It comes from the npm package amplify-dynamodb-simulator, fetched with `npm pack` rather than installed as a
// dependency: the package's own dependency tree is ~280 packages we never use. The tarball is checked against
// the integrity the registry published for the pinned version, as a lockfile entry would be.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "amplify-dynamodb-simulator@2.9.30"; // ships DynamoDB Local 1.25.1
const INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==";

export const dynamoDbLocalDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".ddblocal");

export function ensureDynamoDbLocal() {
  if (existsSync(join(dynamoDbLocalDir, "DynamoDBLocal.jar"))) return dynamoDbLocalDir;
  const work = mkdtempSync(join(tmpdir(), "ddblocal-"));
  try {
    console.error(`Fetching DynamoDB Local (${PACKAGE}, ~56 MB) into .ddblocal/ …`);
    const packed = JSON.parse(
      execFileSync("npm", ["pack", PACKAGE, "--json", "--pack-destination", work], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }),
    )[0];
    if (packed.integrity !== INTEGRITY) {
      throw new Error(`integrity mismatch for ${PACKAGE}: got ${packed.integrity}`);
    }
    execFileSync("tar", ["-xzf", join(work, packed.filename), "-C", work, "package/emulator"]);
    rmSync(dynamoDbLocalDir, { recursive: true, force: true });
    renameSync(join(work, "package", "emulator"), dynamoDbLocalDir);
    console.error(`DynamoDB Local ready: ${readdirSync(dynamoDbLocalDir).join(", ")}`);
    return dynamoDbLocalDir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureDynamoDbLocal();
  } catch (error) {
    // A failed fetch must not fail `npm install`: `npm start` and `npm test` try again and say why.
    console.error(`Could not fetch DynamoDB Local now (${error.message}); npm start / npm test will retry.`);
  }
}
