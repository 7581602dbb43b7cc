// Large payloads in local mode: s3rver keeps the bucket in the data folder, so a restart keeps them like the table;
// in memory, its temporary folder goes when local mode stops.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { listeningAddresses, loopbackAddresses, type RunningLocalMode, startLocalMode } from "./support.ts";

/** Over the 350 KB threshold, and over DynamoDB's 400 KB item: it can only be stored in the bucket. */
const largePayload = { blob: "x".repeat(420 * 1024) };

async function appendLarge(local: RunningLocalMode): Promise<string> {
  const response = await fetch(`${local.apiUrl}/streams/document`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ initialEvent: { eventType: "Scanned", payload: largePayload } }),
  });
  const body = (await response.json()) as any;
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.stream.streamId;
}

/** Every file under `dir`, relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

describe("local mode keeps large payloads in its data folder", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "event-store-payloads-"));
  let local: RunningLocalMode | undefined;
  after(async () => {
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("names the local S3 in the banner, on loopback only", async () => {
    local = await startLocalMode(["--data-dir", dataDir, "--port", "0", "--sns-port", "0"]);
    assert.match(local.output(), /S3\s+http:\/\/127\.0\.0\.1:\d+/);
    const addresses = listeningAddresses(Number(new URL(local.s3Endpoint).port));
    assert.ok(addresses.length > 0);
    for (const address of addresses) assert.ok(loopbackAddresses.includes(address), `S3 listens on ${address}`);
  });

  it("a restart between the append of a large event and its read keeps the payload", async () => {
    local ??= await startLocalMode(["--data-dir", dataDir, "--port", "0", "--sns-port", "0"]);
    const streamId = await appendLarge(local);
    assert.ok(
      filesUnder(join(dataDir, "s3")).some((file) => file.includes(streamId)),
      "the payload is a file under <data folder>/s3",
    );
    assert.equal(await local.stop(), 0);

    local = await startLocalMode(["--data-dir", dataDir, "--port", "0", "--sns-port", "0"]);
    const response = await fetch(`${local.apiUrl}/streams/document/${streamId}/events`);
    const body = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(body).slice(0, 500));
    assert.equal(body.eventPage.events.length, 1);
    assert.deepEqual(body.eventPage.events[0].payload, largePayload);
  });
});

describe("local mode in memory", () => {
  // Its own temporary folder (TMPDIR), so that other local modes of this run do not show up in it.
  const tmp = mkdtempSync(join(tmpdir(), "event-store-tmp-"));
  let local: RunningLocalMode | undefined;
  after(async () => {
    await local?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("keeps large payloads in a temporary folder while it runs, and leaves nothing behind", async () => {
    local = await startLocalMode(["--in-memory", "--port", "0", "--sns-port", "0"], { TMPDIR: tmp });
    const s3Folders = () => readdirSync(tmp).filter((name) => name.startsWith("event-store-s3-"));
    assert.equal(s3Folders().length, 1);
    const streamId = await appendLarge(local);
    assert.ok(filesUnder(join(tmp, s3Folders()[0] as string)).some((file) => file.includes(streamId)));
    assert.equal(await local.stop(), 0);
    assert.deepEqual(s3Folders(), []);
  });
});
