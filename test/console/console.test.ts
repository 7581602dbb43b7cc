import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  type ConsoleUnderTest,
  chromiumPath,
  type ExpectedTrouble,
  launchChromium,
  noChromium,
  screenshot,
  startConsole,
  waitUntil,
  watchPage,
} from "./support.ts";

const executablePath = chromiumPath();

describe("the local console in a real browser (headless Chromium)", {
  skip: executablePath ? false : noChromium,
}, () => {
  let local: ConsoleUnderTest;
  let browser: Browser;
  let page: Page;
  let watch: { troubles: string[] };
  /** GET /streams answers 404 or 405 until the API lists stream types. */
  let listsStreamTypes = true;
  /** What the page may see fail besides: a test adds the answers it provokes. */
  let expected: ExpectedTrouble[];

  before(async () => {
    // A table of its own: the stream types view lists every type in it.
    local = await startConsole("console-test");
    browser = await launchChromium(executablePath as string);
    listsStreamTypes = ![404, 405].includes((await fetch(`${local.url}/streams`)).status);
  });
  after(async () => {
    await browser?.close();
    await local?.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    expected = [
      // Leaving a view aborts what it still has running: its requests, the tail's event stream.
      { url: local.url, failure: "ERR_ABORTED" },
      ...(listsStreamTypes ? [] : [{ method: "GET", url: /\/streams(\?|$)/ }]),
    ];
    watch = watchPage(page, expected);
  });
  afterEach(async () => {
    await page?.close();
    assert.deepEqual(watch.troubles, [], "no console error, page error or failed request");
  });

  async function api(method: string, path: string, body?: unknown) {
    const answer = await fetch(`${local.url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: answer.status, json: (await answer.json()) as any };
  }

  async function createStream(streamType: string, payload: unknown = { total: 42 }): Promise<string> {
    const created = await api("POST", `/streams/${streamType}`, { initialEvent: { eventType: "Placed", payload } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json.stream.streamId;
  }

  /** The listing follows the change feed: wait until it has the stream, as the console would show it. */
  async function listed(streamType: string, streamId: string) {
    await waitUntil(`stream ${streamId} is listed`, async () => {
      const { json } = await api("GET", `/streams/${streamType}?limit=1000`);
      return json.streamPage.streams.some((stream: { streamId: string }) => stream.streamId === streamId);
    });
  }

  async function open(hash: string) {
    await page.goto(`${local.url}/${hash}`);
  }

  it("serves the console at / to a browser, and the API's own answer to a JSON request for /", async () => {
    const answer = await page.goto(`${local.url}/`);
    assert.equal(answer?.status(), 200);
    assert.match(answer?.headers()["content-security-policy"] ?? "", /default-src 'self'/);
    await page.getByRole("heading", { level: 1, name: "Stream types" }).waitFor();
    assert.equal(await page.title(), "Stream types · Event store console");

    const json = await fetch(`${local.url}/`, { headers: { accept: "application/json" } });
    assert.equal(json.status, 404);
    assert.equal(json.headers.get("content-type"), "application/problem+json");
    assert.match(((await json.json()) as { detail: string }).detail, /no resource at \//);
  });

  it("lists a new stream's type with its number of streams", async (t) => {
    const streamType = uniqueStreamType("console-type");
    const streamId = await createStream(streamType);
    if (!listsStreamTypes) {
      await open("#/types");
      await page.getByText("This API does not list stream types").waitFor();
      return t.skip("GET /streams is not served yet: checked the page's notice instead of the list");
    }
    await waitUntil(`${streamType} is among the stream types`, async () => {
      const { json } = await api("GET", "/streams?limit=1000");
      return json.streamTypePage.streamTypes.some((type: { streamType: string }) => type.streamType === streamType);
    });
    await open("#/types");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: streamType, exact: true }) });
    await row.waitFor();
    assert.equal(await row.getByRole("cell").nth(1).textContent(), "1");
    await screenshot(page, "stream-types");

    await row.getByRole("link").click();
    await page.getByRole("heading", { level: 1, name: `Streams of ${streamType}` }).waitFor();
    await listed(streamType, streamId);
  });

  it("lets the user type a stream type to open it, and lists its streams newest first", async () => {
    const streamType = uniqueStreamType("console-open");
    const older = await createStream(streamType);
    const newer = await createStream(streamType);
    await listed(streamType, older);
    await listed(streamType, newer);
    await open("#/types");
    await page.getByLabel("Stream type", { exact: true }).fill(streamType);
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByRole("heading", { level: 1, name: `Streams of ${streamType}` }).waitFor();
    await page.getByRole("link", { name: older }).waitFor();
    const links = await page.locator("tbody a.id").allTextContents();
    assert.deepEqual(links, [newer, older]);
    assert.equal(new URL(page.url()).hash, `#/types/${streamType}`);
  });

  it("opens a stream from its type's list and shows its events' payload and metadata", async () => {
    const streamType = uniqueStreamType("console-stream");
    const created = await api("POST", `/streams/${streamType}`, {
      initialEvent: { eventType: "OrderPlaced", payload: { total: 42, items: ["book"] }, metadata: { by: "test" } },
    });
    const streamId: string = created.json.stream.streamId;
    await listed(streamType, streamId);
    await open(`#/types/${streamType}`);
    await page.getByRole("link", { name: streamId }).click();
    await page.getByRole("heading", { level: 1, name: `Stream ${streamId}` }).waitFor();
    const event = page.locator(".event", { hasText: "OrderPlaced" });
    await event.waitFor();
    await event.getByText("Payload").click();
    const payload = await event.locator("details.json[open] pre").first().textContent();
    assert.equal(payload, JSON.stringify({ total: 42, items: ["book"] }, null, 2));
    await event.getByText("Metadata").click();
    assert.match((await event.locator("details.json[open] pre").nth(1).textContent()) ?? "", /"by": "test"/);
    await screenshot(page, "stream");

    await page.getByRole("link", { name: "newest first" }).click();
    await page.waitForURL(/direction=backward/);
    await page.locator(".event", { hasText: "OrderPlaced" }).waitFor();
  });

  it("creates a stream from its type's page and opens it", async () => {
    const streamType = uniqueStreamType("console-create");
    await open(`#/types/${streamType}`);
    await page.getByLabel("Event type").fill("Opened");
    await page.getByLabel("Payload (JSON)").fill('{"b": 1, "a": [true, null]}');
    await page.getByRole("button", { name: "Create stream" }).click();
    await page.waitForURL(/#\/streams\//);
    const streamId = decodeURIComponent(new URL(page.url()).hash.split("/")[3] ?? "");
    const { json } = await api("GET", `/streams/${streamType}/${streamId}/events`);
    assert.deepEqual(json.eventPage.events[0].payload, { b: 1, a: [true, null] });
    await page.locator(".event", { hasText: "Opened" }).waitFor();
  });

  it("shows a live notification in the tail within seconds of an append", async () => {
    const streamType = uniqueStreamType("console-tail");
    await open(`#/tail?streamType=${streamType}`);
    await page.locator('.state[data-state="live"]').waitFor();
    await createStream(uniqueStreamType("console-other"));
    const streamId = await createStream(streamType);
    await api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "TailSeen", payload: { n: 1 } }],
    });
    const seen = page.locator(".notification", { hasText: "TailSeen" });
    await seen.waitFor({ timeout: 10_000 });
    await page.locator(".notification", { hasText: "Placed" }).waitFor();
    assert.equal(await page.locator(".notification").count(), 2, "only the filtered stream type's notifications");
    assert.match((await seen.textContent()) ?? "", new RegExp(`${streamId} #2`));
    await screenshot(page, "tail");
  });

  it("says why the tail closed when the server refuses its filter", async () => {
    expected.push({ method: "GET", url: "/_console/tail?", status: 400 });
    await open("#/tail?streamType=not%20a%20type");
    await page.locator('.state[data-state="closed"]').waitFor();
    await page.getByText(/Invalid input \(400\): invalid streamType/).waitFor();
    await page.getByRole("button", { name: "Reconnect" }).waitFor();
  });

  it("starts a replay from the form and follows it until it succeeded", async () => {
    const streamType = uniqueStreamType("console-replay");
    const streamId = await createStream(streamType);
    await listed(streamType, streamId);
    await open("#/operations");
    await page.getByLabel("Stream type", { exact: true }).fill(streamType);
    await page.getByRole("button", { name: "Start replay" }).click();
    await page.waitForURL(/#\/operations\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).hash.split("/")[2] ?? "";
    await page.locator('.state[data-state="succeeded"]').waitFor({ timeout: 20_000 });
    assert.equal(
      await page
        .locator(".facts")
        .getByText(/stream/)
        .textContent(),
      "1 stream, 1 event",
    );
    await screenshot(page, "operation");

    await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", { name: "Operations" }).click();
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: `replay ${id.slice(0, 8)}` }) });
    await row.locator('.state[data-state="succeeded"]').waitFor();
    await page.getByText(/every notification went out|waiting for a redrive/).waitFor();
  });

  it("answers an append with a stale expected revision by showing the current revision, and retries with it", async () => {
    const streamType = uniqueStreamType("console-append");
    const streamId = await createStream(streamType);
    expected.push({ method: "POST", url: `/streams/${streamType}/${streamId}/events`, status: 409 });
    await open(`#/streams/${streamType}/${streamId}`);
    const expectedRevision = page.getByLabel("Expected revision");
    await waitUntil("the expected revision is filled in", async () => (await expectedRevision.inputValue()) === "1");
    // Someone else appends meanwhile.
    await api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "Elsewhere", payload: {} }],
    });
    await page.getByLabel("Event type").fill("Mine");
    await page.getByLabel("Payload (JSON)").fill('{"mine": true}');
    await page.getByRole("button", { name: "Append" }).click();
    const problem = page.getByRole("alert");
    await problem.getByText("Wrong expected revision (409)").waitFor();
    assert.equal(await problem.locator(".current-revision").textContent(), "The stream is at revision 2.");
    await screenshot(page, "append-conflict");

    await page.getByRole("button", { name: "Retry with expected revision 2" }).click();
    await page.getByText("Appended revision 3.").waitFor();
    await page.locator(".stream-revision", { hasText: "3" }).waitFor();
    await page.locator(".event", { hasText: "Mine" }).waitFor();
  });

  it("shows a problem's title and detail readably, and marks a payload that is not JSON", async () => {
    const streamType = uniqueStreamType("console-problem");
    const streamId = await createStream(streamType);
    expected.push({ method: "POST", url: `/streams/${streamType}/${streamId}/events`, status: 400 });
    await open(`#/streams/${streamType}/${streamId}`);
    await page.getByLabel("Event type").fill("Bad");
    await page.getByLabel("Payload (JSON)").fill("{not json");
    await page.getByRole("button", { name: "Append" }).click();
    await page.getByText(/^Not JSON/).waitFor();
    assert.equal(await page.getByLabel("Payload (JSON)").getAttribute("aria-invalid"), "true");

    // The field stops at 256 characters; without that limit the API's own 400 shows.
    await page.getByLabel("Payload (JSON)").fill("{}");
    await page.getByLabel("Event type").evaluate((input) => input.removeAttribute("maxlength"));
    await page.getByLabel("Event type").fill("x".repeat(257));
    await page.getByRole("button", { name: "Append" }).click();
    const problem = page.getByRole("alert");
    await problem.getByText("Invalid input (400)").waitFor();
    await problem.getByText("events[0].eventType", { exact: true }).waitFor();
  });

  it("renders large payloads lazily and cuts very long text, with a button to show all", async (t) => {
    const streamType = uniqueStreamType("console-large");
    const large = { rows: Array.from({ length: 3_000 }, (_, index) => ({ index, text: "x".repeat(100) })) };
    assert.ok(JSON.stringify(large).length > 300_000);
    const streamId = await createStream(streamType, large);
    await api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "Large", payload: large }],
    });
    await api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 2,
      events: [{ eventType: "Large", payload: large }],
    });
    const started = Date.now();
    await open(`#/streams/${streamType}/${streamId}`);
    await page.locator(".event").nth(2).waitFor();
    t.diagnostic(`a page of three ~390 KB events shown in ${Date.now() - started} ms (not asserted)`);
    assert.equal(await page.locator(".json-body pre").count(), 0, "no payload is pretty-printed before it is opened");

    const first = page.locator(".event").first();
    await first.getByText("Payload").click();
    const pre = first.locator(".json-body pre");
    const full = JSON.stringify(large, null, 2);
    assert.ok(((await pre.textContent()) ?? full).length < full.length / 10, "the text is cut");
    const showAll = first.getByRole("button", { name: /^Show all [\d,]+ characters$/ });
    await showAll.click();
    assert.equal(await pre.textContent(), full);
    assert.equal(await showAll.count(), 0);
  });

  it("stays readable in a narrow window: no sideways scrolling of the page", async () => {
    const streamType = uniqueStreamType("console-narrow");
    const streamId = await createStream(streamType, { note: "a narrow window", list: [1, 2, 3] });
    await page.setViewportSize({ width: 390, height: 800 });
    const views = {
      [`#/streams/${streamType}/${streamId}`]: page.locator(".event"),
      "#/operations": page.getByText(/operations? yet|under way|\d+ operations?\./),
      "#/tail": page.locator('.state[data-state="live"]'),
      "#/types": page.getByText(/stream types?, by name|does not list stream types/),
    };
    for (const [hash, shown] of Object.entries(views)) {
      await open(hash);
      await shown.waitFor();
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      assert.ok(overflow <= 0, `${hash} scrolls sideways by ${overflow} px`);
      if (hash.startsWith("#/streams")) await screenshot(page, "stream-narrow");
    }
  });

  it("is navigable by keyboard, with a visible focus", async () => {
    await open("#/types");
    await page.getByRole("heading", { level: 1, name: "Stream types" }).waitFor();
    let focused = "";
    for (let presses = 0; presses < 10 && focused !== "Live tail"; presses++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>('document.activeElement?.textContent ?? ""');
    }
    assert.equal(focused, "Live tail", "the navigation is reached with Tab");
    const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    assert.notEqual(outline, "none", "the focused link shows it");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Live tail" }).waitFor();
    await waitUntil("the view's heading has the focus", async () =>
      page.evaluate<boolean>('document.activeElement?.tagName === "H1"'),
    );
  });
});
