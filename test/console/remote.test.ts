// The remote console (`npm run console -- --url …`) in a real headless Chromium, against a stand-in for a deployed
// store that demands and checks SigV4 (signed-store.ts) in front of local mode: what the page shows comes through
// signed calls; read-only refuses writes and says how to get a console that may; --allow-writes lets an append
// through; credentials the store refuses are shown as such.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRemoteConsole } from "#local/console/remote.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import type { Credentials } from "../../client/types.ts";
import { type SignedStore, startSignedStore, storeCredentials, storeRegion } from "./signed-store.ts";
import {
  type BrowserSuite,
  browserSuite,
  chromiumPath,
  noChromium,
  type ServedConsole,
  screenshot,
  send,
} from "./support.ts";

const executablePath = chromiumPath();

describe("the remote console in a real browser, against a store that checks SigV4", {
  skip: executablePath ? false : noChromium,
}, () => {
  let store: SignedStore;
  before(async () => {
    store = await startSignedStore("console-remote-test");
  });
  after(async () => {
    await store?.stop();
  });

  const remoteConsole =
    (options: { allowWrites?: boolean; credentials?: Credentials } = {}) =>
    async (): Promise<ServedConsole> => {
      const server = await startRemoteConsole({
        url: new URL(store.url),
        region: storeRegion,
        credentials: options.credentials ?? storeCredentials,
        allowWrites: options.allowWrites ?? false,
        port: 0,
      });
      return { url: server.url, apiUrl: store.directUrl, stop: () => server.close() };
    };

  /** A stream with one event, written past the console (the stand-in's unsigned twin). */
  async function createStream(api: BrowserSuite["api"], streamType: string): Promise<string> {
    const created = await api("POST", `/streams/${streamType}`, {
      initialEvent: { eventType: "RemotePlaced", payload: { total: 7 } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json.stream.streamId;
  }

  describe("read-only (the default)", () => {
    const ui = browserSuite(executablePath, remoteConsole());

    it("shows the store's streams and events, read with signed calls", async () => {
      const streamType = uniqueStreamType("remote-read");
      const streamId = await createStream(ui.api, streamType);
      await ui.listed(streamType, streamId);
      await ui.open(`#/types/${streamType}`);
      await ui.page.getByRole("link", { name: streamId }).click();
      await ui.page.locator(".event", { hasText: "RemotePlaced" }).waitFor();
      assert.match((await ui.page.locator(".brand").textContent()) ?? "", /console of 127\.0\.0\.1:\d+ · read-only/);
      const signedRead = store.received.find((event) => event.rawPath === `/streams/${streamType}/${streamId}/events`);
      assert.ok(signedRead, "the events were read through the stand-in, signed");
      await screenshot(ui.page, "remote-stream");
    });

    it("disables the forms with a note to restart with --allow-writes, and refuses a write with a 403 problem", async () => {
      const streamType = uniqueStreamType("remote-refused");
      const streamId = await createStream(ui.api, streamType);
      await ui.open(`#/streams/${streamType}/${streamId}`);
      const form = ui.page.locator("form", { has: ui.page.getByRole("heading", { name: "Append an event" }) });
      await form.getByText("Read-only console: restart it with --allow-writes to use this form.").waitFor();
      assert.equal(await form.getByRole("button", { name: "Append" }).isDisabled(), true);
      await screenshot(ui.page, "remote-read-only");

      // A write that reaches the console anyway (another tab, curl) is refused before it leaves this machine.
      const before = store.received.length;
      const refused = await fetch(`${ui.url}/streams/${streamType}/${streamId}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ expectedRevision: 1, events: [{ eventType: "Sneaky", payload: {} }] }),
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get("content-type"), "application/problem+json");
      const problem = (await refused.json()) as { title: string; detail: string };
      assert.equal(problem.title, "Read-only console");
      assert.match(problem.detail, /restart it with --allow-writes/);
      assert.equal(store.received.length, before, "nothing reached the store");
      // A query sent as a POST only reads: it goes through.
      const dcbRead = await fetch(`${ui.url}/dcb/read`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: { items: [{ types: ["RemotePlaced"] }] } }),
      });
      assert.notEqual(dcbRead.status, 403);
    });

    it("forwards none of the browser's cookies or authorization, and keeps the local guards", async () => {
      await fetch(`${ui.url}/feed/head`, { headers: { cookie: "session=secret", authorization: "Bearer mine" } });
      const forwarded = store.received.at(-1);
      assert.equal(forwarded?.rawPath, "/feed/head");
      assert.equal(forwarded?.cookies, undefined);
      assert.match(forwarded?.headers.authorization ?? "", /^AWS4-HMAC-SHA256 Credential=AKIACONSOLETEST00001\//);

      // fetch sets Host itself; node:http sends the one given.
      const rebound = await send(`${ui.url}/feed/head`, { headers: { host: "evil.example" } });
      assert.equal(rebound.status, 421, "a Host that is not a loopback name is refused, as by npm start");
      const config = await (await fetch(`${ui.url}/_console/config.json`)).json();
      assert.deepEqual(config, { mode: "remote", store: new URL(store.url).origin, writes: false, tail: false });
    });

    it("has no live tail: its view points to the feed, which follows the store", async () => {
      const streamType = uniqueStreamType("remote-feed");
      await ui.open("#/types");
      assert.equal(await ui.page.getByRole("link", { name: "Live tail" }).isVisible(), false);
      await ui.open(`#/tail?streamType=${streamType}`);
      await ui.page.getByRole("link", { name: "Follow the feed with these filters" }).click();
      await ui.page.waitForURL(new RegExp(`#/feed\\?streamType=${streamType}$`));
      await ui.page.locator('.state[data-state="live"]').waitFor();
      await createStream(ui.api, streamType);
      await ui.page.locator("ol.events > li", { hasText: "RemotePlaced" }).waitFor({ timeout: 15_000 });
    });
  });

  describe("with --allow-writes", () => {
    const writer = browserSuite(executablePath, remoteConsole({ allowWrites: true }));

    it("appends an event from the form, signed", async () => {
      const streamType = uniqueStreamType("remote-write");
      const streamId = await createStream(writer.api, streamType);
      await writer.open(`#/streams/${streamType}/${streamId}`);
      const expected = writer.page.getByLabel("Expected revision");
      await writer.page.locator(".stream-revision", { hasText: "1" }).waitFor();
      assert.equal(await expected.inputValue(), "1");
      await writer.page.getByLabel("Event type").fill("RemoteAppended");
      await writer.page.getByLabel("Payload (JSON)").fill('{"from": "the remote console"}');
      await writer.page.getByRole("button", { name: "Append" }).click();
      await writer.page.getByText("Appended revision 2.").waitFor();
      await writer.page.locator(".event", { hasText: "RemoteAppended" }).waitFor();
      const { json } = await writer.api("GET", `/streams/${streamType}/${streamId}/events`);
      assert.deepEqual(json.eventPage.events[1].payload, { from: "the remote console" });
    });
  });

  describe("with credentials the store refuses", () => {
    const wrongCredentials = { ...storeCredentials, secretAccessKey: "not-the-secret" };
    const refused = browserSuite(executablePath, remoteConsole({ credentials: wrongCredentials }), () => [
      { url: /\/streams(\?|$)/, status: 403 },
    ]);

    it("shows the refusal and what the credentials lack", async () => {
      await refused.open("#/types");
      const problem = refused.page.getByRole("alert");
      await problem.getByText("AWS credentials refused (403)").waitFor();
      assert.match((await problem.textContent()) ?? "", /lambda:InvokeFunctionUrl/);
      await screenshot(refused.page, "remote-refused");
    });
  });
});
