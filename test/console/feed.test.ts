// The console's Feed view in a real headless Chromium against local mode: the global feed newest first, filtered,
// a payload read when opened, new events on top while the view is open, older ones on demand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uniqueStreamType } from "#test/support/store.ts";
import { browserSuite, chromiumPath, noChromium, screenshot, startConsole, waitUntil } from "./support.ts";

const executablePath = chromiumPath();

describe("the console's Feed view in a real browser (headless Chromium)", {
  skip: executablePath ? false : noChromium,
}, () => {
  // Leaving the view aborts its long poll (always expected).
  const ui = browserSuite(executablePath, () => startConsole("console-feed-test"));

  /** A stream of `streamType` with `count` events (Placed, then Noted…), each payload `{ n }`. */
  async function createStream(streamType: string, count = 1, metadata?: Record<string, unknown>): Promise<string> {
    const created = await ui.api("POST", `/streams/${streamType}`, {
      initialEvent: { eventType: "Placed", payload: { n: 1 }, ...(metadata ? { metadata } : {}) },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { streamId } = created.json.stream;
    for (let n = 2; n <= count; n++) {
      const appended = await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
        expectedRevision: n - 1,
        events: [{ eventType: "Noted", payload: { n } }],
      });
      assert.equal(appended.status, 201, JSON.stringify(appended.json));
    }
    return streamId;
  }

  /** The feed indexes in the background: wait until it holds `count` events of the type, and return them. */
  async function indexed(streamType: string, count: number): Promise<{ position: number; revision: number }[]> {
    let events: { position: number; revision: number }[] = [];
    await waitUntil(`the feed holds ${count} events of ${streamType}`, async () => {
      events = (await ui.api("GET", `/feed?stream-type=${streamType}&limit=1000`)).json.feedPage.events;
      return events.length >= count;
    });
    return events;
  }

  /** The positions of the events the page shows, top to bottom. */
  async function shownPositions(): Promise<number[]> {
    return (
      await ui.page.locator("ol.events > li").evaluateAll((items) => items.map((item) => item.dataset.position))
    ).map(Number);
  }

  async function openFeed(hash: string) {
    await ui.open(hash);
    await ui.page.locator('.state[data-state="live"]').waitFor();
  }

  it("lists the feed newest first with each event's position, type, stream link, revision and time, and the head", async () => {
    const orders = uniqueStreamType("feed-order");
    const others = uniqueStreamType("feed-other");
    const orderId = await createStream(orders, 2);
    await createStream(others);
    const [, second] = await indexed(orders, 2);
    const [other] = await indexed(others, 1);
    await openFeed("#/feed");
    await ui.page.getByRole("heading", { level: 1, name: "Feed" }).waitFor();
    assert.equal(await ui.page.getByRole("link", { name: "Feed", exact: true }).getAttribute("aria-current"), "page");

    const positions = await shownPositions();
    assert.ok(positions.length >= 3, `three events at least, got ${positions.length}`);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => b - a),
      "newest first",
    );
    assert.equal(positions[0], other?.position, "the newest event on top");

    const item = ui.page.locator(`ol.events > li[data-position="${second?.position}"]`);
    assert.equal(await item.locator(".position").textContent(), String(second?.position));
    assert.equal(await item.locator(".stream-type").textContent(), orders);
    assert.equal(await item.locator(".event-type").textContent(), "Noted");
    assert.equal(await item.locator(".revision").textContent(), "#2");
    assert.match((await item.locator("time").getAttribute("datetime")) ?? "", /^\d{4}-\d\d-\d\dT/);
    const link = item.getByRole("link", { name: orderId });
    assert.equal(await link.getAttribute("href"), `#/streams/${orders}/${orderId}?direction=backward&from-revision=2`);

    const head = Number(await ui.page.locator(".head-position").textContent());
    assert.ok(head >= (other?.position ?? Number.POSITIVE_INFINITY), "the head's position");
    assert.match((await ui.page.locator(".head-lag").textContent()) ?? "", /^[\d,]+ ms$/);
    await screenshot(ui.page, "feed");

    await link.click();
    await ui.page.getByRole("heading", { level: 1, name: `Stream ${orderId}` }).waitFor();
  });

  it("filters by stream type and by event type, from the form", async () => {
    const orders = uniqueStreamType("feed-filter");
    await createStream(orders, 3);
    await createStream(uniqueStreamType("feed-unwanted"), 2);
    const events = await indexed(orders, 3);
    await openFeed("#/feed");
    await ui.page.getByLabel("Stream types").fill(` ${orders} `);
    await ui.page.getByRole("button", { name: "Show" }).click();
    await ui.page.waitForURL(new RegExp(`#/feed\\?streamType=${orders}$`));
    await ui.page.locator('.state[data-state="live"]').waitFor();
    await ui.page.getByText("3 events that the filter lets through shown, back to the start of the feed.").waitFor();
    assert.deepEqual(await shownPositions(), events.map((event) => event.position).reverse());
    assert.deepEqual(await ui.page.locator("ol.events .stream-type").allTextContents(), [orders, orders, orders]);

    await ui.page.getByLabel("Event types").fill("Noted");
    await ui.page.getByRole("button", { name: "Show" }).click();
    await ui.page.waitForURL(/eventType=Noted$/);
    await ui.page.getByText(/^2 events that the filter lets through shown/).waitFor();
    assert.deepEqual(await ui.page.locator("ol.events .event-type").allTextContents(), ["Noted", "Noted"]);
  });

  it("shows an event's payload and metadata when opened, read then", async () => {
    const streamType = uniqueStreamType("feed-payload");
    await createStream(streamType, 1, { by: "test" });
    await indexed(streamType, 1);
    await openFeed(`#/feed?streamType=${streamType}`);
    const item = ui.page.locator("ol.events > li").first();
    await item.getByText("read when opened").waitFor();
    await item.getByText("Payload", { exact: true }).click();
    const pre = item.locator("details.json[open] pre").first();
    await pre.waitFor();
    assert.equal(await pre.textContent(), JSON.stringify({ n: 1 }, null, 2));
    await item.getByText("Metadata", { exact: true }).click();
    assert.match((await item.locator("details.json[open] pre").nth(1).textContent()) ?? "", /"by": "test"/);
    await screenshot(ui.page, "feed-payload");
  });

  it("puts an event appended while the view is open on top, without a reload", async () => {
    const streamType = uniqueStreamType("feed-live");
    await createStream(streamType);
    await indexed(streamType, 1);
    await openFeed(`#/feed?streamType=${streamType}`);
    await ui.page.getByText(/^1 event that the filter lets through shown/).waitFor();
    const loaded = await ui.page.evaluate<number>("performance.timeOrigin");

    await createStream(uniqueStreamType("feed-elsewhere"));
    const streamId = await createStream(streamType);
    const top = ui.page.locator("ol.events > li").first();
    await top.getByRole("link", { name: streamId }).waitFor({ timeout: 10_000 });
    assert.equal(await ui.page.locator("ol.events > li").count(), 2, "only the filtered type's events");
    const positions = await shownPositions();
    assert.ok((positions[0] ?? 0) > (positions[1] ?? Infinity), "the new event above the older one");
    assert.equal(await ui.page.evaluate<number>("performance.timeOrigin"), loaded, "the same ui.page, not reloaded");
    await ui.page.getByText(/^2 events that the filter lets through shown/).waitFor();
  });

  it("reads older events on demand, a page at a time, back to the start of the feed", async () => {
    const streamType = uniqueStreamType("feed-older");
    await createStream(streamType, 5);
    const events = await indexed(streamType, 5);
    const newestFirst = events.map((event) => event.position).reverse();
    await openFeed(`#/feed?streamType=${streamType}&limit=2`);
    await ui.page.getByText(/^2 events that the filter lets through shown; “Show older” reads more\.$/).waitFor();
    assert.deepEqual(await shownPositions(), newestFirst.slice(0, 2));
    const older = ui.page.getByRole("button", { name: "Show older" });
    await older.click();
    await ui.page.getByText(/^4 events/).waitFor();
    assert.deepEqual(await shownPositions(), newestFirst.slice(0, 4));
    await older.click();
    await ui.page.getByText(/^5 events .* back to the start of the feed\.$/).waitFor();
    assert.deepEqual(await shownPositions(), newestFirst);
    assert.equal(await older.isVisible(), false);
  });

  it("shows the API's problem for a filter it refuses, and stops", async () => {
    ui.expected.push({ method: "GET", url: "/feed?", status: 400 });
    await ui.page.goto(`${ui.url}/#/feed?streamType=not%20a%20type`);
    const problem = ui.page.getByRole("alert");
    await problem.getByText("Invalid input (400)").waitFor();
    await problem.getByText("stream-type", { exact: true }).waitFor();
    await ui.page.locator('.state[data-state="closed"]').waitFor();
  });

  it("stays readable in a narrow window", async () => {
    const streamType = uniqueStreamType("feed-narrow");
    await createStream(streamType);
    await indexed(streamType, 1);
    await ui.page.setViewportSize({ width: 390, height: 800 });
    await openFeed(`#/feed?streamType=${streamType}`);
    await ui.page.locator("ol.events > li").first().waitFor();
    const overflow = await ui.page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    assert.ok(overflow <= 0, `the feed scrolls sideways by ${overflow} px`);
  });
});
