import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { uniqueStreamType } from "#test/support/store.ts";
import { browserSuite, chromiumPath, noChromium, screenshot, startConsole, waitUntil } from "./support.ts";

const executablePath = chromiumPath();

describe("the local console in a real browser (headless Chromium)", {
  skip: executablePath ? false : noChromium,
}, () => {
  /** GET /streams answers 404 or 405 until the API lists stream types. */
  let listsStreamTypes = true;
  // A table of its own: the stream types view lists every type in it.
  const ui = browserSuite(
    executablePath,
    () => startConsole("console-test"),
    () => (listsStreamTypes ? [] : [{ method: "GET", url: /\/streams(\?|$)/ }]),
  );
  before(async () => {
    listsStreamTypes = ![404, 405].includes((await fetch(`${ui.url}/streams`)).status);
  });

  async function createStream(streamType: string, payload: unknown = { total: 42 }): Promise<string> {
    const created = await ui.api("POST", `/streams/${streamType}`, { initialEvent: { eventType: "Placed", payload } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json.stream.streamId;
  }

  it("serves the console at / to a browser, and the API's own answer to a JSON request for /", async () => {
    const answer = await ui.page.goto(`${ui.url}/`);
    assert.equal(answer?.status(), 200);
    assert.match(answer?.headers()["content-security-policy"] ?? "", /default-src 'self'/);
    await ui.page.getByRole("heading", { level: 1, name: "Stream types" }).waitFor();
    assert.equal(await ui.page.title(), "Stream types · Event store console");

    const json = await fetch(`${ui.url}/`, { headers: { accept: "application/json" } });
    assert.equal(json.status, 404);
    assert.equal(json.headers.get("content-type"), "application/problem+json");
    assert.match(((await json.json()) as { detail: string }).detail, /no resource at \//);
  });

  it("lists a new stream's type with its number of streams", async (t) => {
    const streamType = uniqueStreamType("console-type");
    const streamId = await createStream(streamType);
    if (!listsStreamTypes) {
      await ui.open("#/types");
      await ui.page.getByText("This API does not list stream types").waitFor();
      return t.skip("GET /streams is not served yet: checked the page's notice instead of the list");
    }
    await waitUntil(`${streamType} is among the stream types`, async () => {
      const { json } = await ui.api("GET", "/streams?limit=1000");
      return json.streamTypePage.streamTypes.some((type: { streamType: string }) => type.streamType === streamType);
    });
    await ui.open("#/types");
    const row = ui.page.getByRole("row").filter({ has: ui.page.getByRole("link", { name: streamType, exact: true }) });
    await row.waitFor();
    assert.equal(await row.getByRole("cell").nth(1).textContent(), "1");
    await screenshot(ui.page, "stream-types");

    await row.getByRole("link").click();
    await ui.page.getByRole("heading", { level: 1, name: `Streams of ${streamType}` }).waitFor();
    await ui.listed(streamType, streamId);
  });

  it("lets the user type a stream type to open it, and lists its streams newest first", async () => {
    const streamType = uniqueStreamType("console-open");
    const older = await createStream(streamType);
    const newer = await createStream(streamType);
    await ui.listed(streamType, older);
    await ui.listed(streamType, newer);
    await ui.open("#/types");
    await ui.page.getByLabel("Stream type", { exact: true }).fill(streamType);
    await ui.page.getByRole("button", { name: "Open" }).click();
    await ui.page.getByRole("heading", { level: 1, name: `Streams of ${streamType}` }).waitFor();
    await ui.page.getByRole("link", { name: older }).waitFor();
    const links = await ui.page.locator("tbody a.id").allTextContents();
    assert.deepEqual(links, [newer, older]);
    assert.equal(new URL(ui.page.url()).hash, `#/types/${streamType}`);
  });

  it("opens a stream from its type's list and shows its events' payload and metadata", async () => {
    const streamType = uniqueStreamType("console-stream");
    const created = await ui.api("POST", `/streams/${streamType}`, {
      initialEvent: { eventType: "OrderPlaced", payload: { total: 42, items: ["book"] }, metadata: { by: "test" } },
    });
    const streamId: string = created.json.stream.streamId;
    await ui.listed(streamType, streamId);
    await ui.open(`#/types/${streamType}`);
    await ui.page.getByRole("link", { name: streamId }).click();
    await ui.page.getByRole("heading", { level: 1, name: `Stream ${streamId}` }).waitFor();
    const event = ui.page.locator(".event", { hasText: "OrderPlaced" });
    await event.waitFor();
    await event.getByText("Payload").click();
    const payload = await event.locator("details.json[open] pre").first().textContent();
    assert.equal(payload, JSON.stringify({ total: 42, items: ["book"] }, null, 2));
    await event.getByText("Metadata").click();
    assert.match((await event.locator("details.json[open] pre").nth(1).textContent()) ?? "", /"by": "test"/);
    await screenshot(ui.page, "stream");

    await ui.page.getByRole("link", { name: "newest first" }).click();
    await ui.page.waitForURL(/direction=backward/);
    await ui.page.locator(".event", { hasText: "OrderPlaced" }).waitFor();
  });

  it("creates a stream from its type's page and opens it", async () => {
    const streamType = uniqueStreamType("console-create");
    await ui.open(`#/types/${streamType}`);
    await ui.page.getByLabel("Event type").fill("Opened");
    await ui.page.getByLabel("Payload (JSON)").fill('{"b": 1, "a": [true, null]}');
    await ui.page.getByRole("button", { name: "Create stream" }).click();
    await ui.page.waitForURL(/#\/streams\//);
    const streamId = decodeURIComponent(new URL(ui.page.url()).hash.split("/")[3] ?? "");
    const { json } = await ui.api("GET", `/streams/${streamType}/${streamId}/events`);
    assert.deepEqual(json.eventPage.events[0].payload, { b: 1, a: [true, null] });
    await ui.page.locator(".event", { hasText: "Opened" }).waitFor();
  });

  it("shows a live notification in the tail within seconds of an append", async () => {
    const streamType = uniqueStreamType("console-tail");
    await ui.open(`#/tail?streamType=${streamType}`);
    await ui.page.locator('.state[data-state="live"]').waitFor();
    await createStream(uniqueStreamType("console-other"));
    const streamId = await createStream(streamType);
    await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "TailSeen", payload: { n: 1 } }],
    });
    const seen = ui.page.locator(".notification", { hasText: "TailSeen" });
    await seen.waitFor({ timeout: 10_000 });
    await ui.page.locator(".notification", { hasText: "Placed" }).waitFor();
    assert.equal(await ui.page.locator(".notification").count(), 2, "only the filtered stream type's notifications");
    assert.match((await seen.textContent()) ?? "", new RegExp(`${streamId} #2`));
    await screenshot(ui.page, "tail");
  });

  it("says why the tail closed when the server refuses its filter", async () => {
    ui.expected.push({ method: "GET", url: "/_console/tail?", status: 400 });
    await ui.open("#/tail?streamType=not%20a%20type");
    await ui.page.locator('.state[data-state="closed"]').waitFor();
    await ui.page.getByText(/Invalid input \(400\): invalid streamType/).waitFor();
    await ui.page.getByRole("button", { name: "Reconnect" }).waitFor();
  });

  it("starts a replay from the form and follows it until it succeeded", async () => {
    const streamType = uniqueStreamType("console-replay");
    const streamId = await createStream(streamType);
    await ui.listed(streamType, streamId);
    await ui.open("#/operations");
    await ui.page.getByLabel("Stream type", { exact: true }).fill(streamType);
    await ui.page.getByRole("button", { name: "Start replay" }).click();
    await ui.page.waitForURL(/#\/operations\/[0-9a-f-]{36}$/);
    const id = new URL(ui.page.url()).hash.split("/")[2] ?? "";
    await ui.page.locator('.state[data-state="succeeded"]').waitFor({ timeout: 20_000 });
    assert.equal(
      await ui.page
        .locator(".facts")
        .getByText(/stream/)
        .textContent(),
      "1 stream, 1 event",
    );
    await screenshot(ui.page, "operation");

    await ui.page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", { name: "Operations" }).click();
    const row = ui.page
      .getByRole("row")
      .filter({ has: ui.page.getByRole("link", { name: `replay ${id.slice(0, 8)}` }) });
    await row.locator('.state[data-state="succeeded"]').waitFor();
    await ui.page.getByText(/every notification went out|waiting for a redrive/).waitFor();
  });

  it("limits and deletes a stream and erases a data subject only after the user confirms", async () => {
    const streamType = uniqueStreamType("console-remove");
    const streamId = await createStream(streamType);
    const subject = `console-subject-${streamId.slice(0, 8)}`;
    const personal = {
      eventType: "Registered",
      payload: { email: "ada@example.com" },
      subject,
      personalData: ["/payload/email"],
    };
    const appended = await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [personal],
    });
    assert.equal(appended.status, 201, JSON.stringify(appended.json));
    const answers: boolean[] = [];
    ui.page.on("dialog", (dialog) => void (answers.shift() ? dialog.accept() : dialog.dismiss()));

    await ui.open("#/operations");
    await ui.page.getByRole("textbox", { name: "Subject" }).fill(subject);
    answers.push(false);
    await ui.page.getByRole("button", { name: "Erase", exact: true }).click();
    const before = await ui.api("GET", `/streams/${streamType}/${streamId}/events`);
    assert.equal(
      before.json.eventPage.events[1].payload.email,
      "ada@example.com",
      "a dismissed confirmation erases nothing",
    );
    answers.push(true);
    await ui.page.getByRole("button", { name: "Erase", exact: true }).click();
    await ui.page.getByText(`Erased ${subject}`).waitFor();
    const erased = await ui.api("GET", `/streams/${streamType}/${streamId}/events`);
    assert.equal(erased.json.eventPage.events[1].payload.email, "[erased]");

    // Retention: the stream's own maxCount, set only after a confirmation.
    await ui.open(`#/streams/${streamType}/${streamId}`);
    await ui.page.getByText("Retention: none (its own: none; its type's: none).").waitFor();
    await ui.page.getByLabel("Action").selectOption("retention");
    await ui.page.getByLabel("Max count").fill("1");
    answers.push(false);
    await ui.page.getByRole("button", { name: "Go" }).click();
    const kept = async () =>
      (await ui.api("GET", `/streams/${streamType}/${streamId}/events`)).json.eventPage.events.map(
        (event: { revision: number }) => event.revision,
      );
    assert.deepEqual(await kept(), [1, 2], "a dismissed confirmation limits nothing");
    answers.push(true);
    await ui.page.getByRole("button", { name: "Go" }).click();
    await ui.page.getByText(/Done: /).waitFor();
    assert.deepEqual(await kept(), [2]);
    await ui.page.getByText("Retention: maxCount 1 (its own: maxCount 1; its type's: none).").waitFor();
    await ui.page.getByLabel("Action").selectOption("delete");
    // The page shows the stream again after the delete: it is gone (404).
    ui.expected.push({ method: "GET", url: new RegExp(streamId), status: 404 });
    answers.push(true);
    await ui.page.getByRole("button", { name: "Go" }).click();
    await ui.page.getByText(/Done: /).waitFor();
    assert.equal((await ui.api("GET", `/streams/${streamType}/${streamId}/events`)).status, 404);
  });

  it("answers an append with a stale expected revision by showing the current revision, and retries with it", async () => {
    const streamType = uniqueStreamType("console-append");
    const streamId = await createStream(streamType);
    ui.expected.push({ method: "POST", url: `/streams/${streamType}/${streamId}/events`, status: 409 });
    await ui.open(`#/streams/${streamType}/${streamId}`);
    const expectedRevision = ui.page.getByLabel("Expected revision");
    await waitUntil("the expected revision is filled in", async () => (await expectedRevision.inputValue()) === "1");
    // Someone else appends meanwhile.
    await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "Elsewhere", payload: {} }],
    });
    await ui.page.getByLabel("Event type").fill("Mine");
    await ui.page.getByLabel("Payload (JSON)").fill('{"mine": true}');
    await ui.page.getByRole("button", { name: "Append" }).click();
    const problem = ui.page.getByRole("alert");
    await problem.getByText("Wrong expected revision (409)").waitFor();
    assert.equal(await problem.locator(".current-revision").textContent(), "The stream is at revision 2.");
    await screenshot(ui.page, "append-conflict");

    await ui.page.getByRole("button", { name: "Retry with expected revision 2" }).click();
    await ui.page.getByText("Appended revision 3.").waitFor();
    await ui.page.locator(".stream-revision", { hasText: "3" }).waitFor();
    await ui.page.locator(".event", { hasText: "Mine" }).waitFor();
  });

  it("shows a problem's title and detail readably, and marks a payload that is not JSON", async () => {
    const streamType = uniqueStreamType("console-problem");
    const streamId = await createStream(streamType);
    ui.expected.push({ method: "POST", url: `/streams/${streamType}/${streamId}/events`, status: 400 });
    await ui.open(`#/streams/${streamType}/${streamId}`);
    await ui.page.getByLabel("Event type").fill("Bad");
    await ui.page.getByLabel("Payload (JSON)").fill("{not json");
    await ui.page.getByRole("button", { name: "Append" }).click();
    await ui.page.getByText(/^Not JSON/).waitFor();
    assert.equal(await ui.page.getByLabel("Payload (JSON)").getAttribute("aria-invalid"), "true");

    // The field stops at 256 characters; without that limit the API's own 400 shows.
    await ui.page.getByLabel("Payload (JSON)").fill("{}");
    await ui.page.getByLabel("Event type").evaluate((input) => input.removeAttribute("maxlength"));
    await ui.page.getByLabel("Event type").fill("x".repeat(257));
    await ui.page.getByRole("button", { name: "Append" }).click();
    const problem = ui.page.getByRole("alert");
    await problem.getByText("Invalid input (400)").waitFor();
    await problem.getByText("events[0].eventType", { exact: true }).waitFor();
  });

  it("renders large payloads lazily and cuts very long text, with a button to show all", async (t) => {
    const streamType = uniqueStreamType("console-large");
    const large = { rows: Array.from({ length: 3_000 }, (_, index) => ({ index, text: "x".repeat(100) })) };
    assert.ok(JSON.stringify(large).length > 300_000);
    const streamId = await createStream(streamType, large);
    await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 1,
      events: [{ eventType: "Large", payload: large }],
    });
    await ui.api("POST", `/streams/${streamType}/${streamId}/events`, {
      expectedRevision: 2,
      events: [{ eventType: "Large", payload: large }],
    });
    const started = Date.now();
    await ui.open(`#/streams/${streamType}/${streamId}`);
    await ui.page.locator(".event").nth(2).waitFor();
    t.diagnostic(`a page of three ~390 KB events shown in ${Date.now() - started} ms (not asserted)`);
    assert.equal(
      await ui.page.locator(".json-body pre").count(),
      0,
      "no payload is pretty-printed before it is opened",
    );

    const first = ui.page.locator(".event").first();
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
    await ui.page.setViewportSize({ width: 390, height: 800 });
    const views = {
      [`#/streams/${streamType}/${streamId}`]: ui.page.locator(".event"),
      "#/operations": ui.page.getByText(/operations? yet|under way|\d+ operations?\./),
      "#/tail": ui.page.locator('.state[data-state="live"]'),
      "#/types": ui.page.getByText(/stream types?, by name|does not list stream types/),
    };
    for (const [hash, shown] of Object.entries(views)) {
      await ui.open(hash);
      await shown.waitFor();
      const overflow = await ui.page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      assert.ok(overflow <= 0, `${hash} scrolls sideways by ${overflow} px`);
      if (hash.startsWith("#/streams")) await screenshot(ui.page, "stream-narrow");
    }
  });

  it("is navigable by keyboard, with a visible focus", async () => {
    await ui.open("#/types");
    await ui.page.getByRole("heading", { level: 1, name: "Stream types" }).waitFor();
    let focused = "";
    for (let presses = 0; presses < 10 && focused !== "Live tail"; presses++) {
      await ui.page.keyboard.press("Tab");
      focused = await ui.page.evaluate<string>('document.activeElement?.textContent ?? ""');
    }
    assert.equal(focused, "Live tail", "the navigation is reached with Tab");
    const outline = await ui.page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    assert.notEqual(outline, "none", "the focused link shows it");
    await ui.page.keyboard.press("Enter");
    await ui.page.getByRole("heading", { level: 1, name: "Live tail" }).waitFor();
    await waitUntil("the view's heading has the focus", async () =>
      ui.page.evaluate<boolean>('document.activeElement?.tagName === "H1"'),
    );
  });
});
