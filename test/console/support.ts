/**
 * Set-up of the console tests: local mode composed in-process behind the local HTTP server with the console's
 * routes (as npm start serves them), a headless Chromium driven by playwright-core, and a watch on each page that
 * fails a test on any console error, page error or failed request it did not expect.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, afterEach, before, beforeEach } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";

/** Where the tests write their screenshots (under .tmp/, which git ignores). */
export const screenshotFolder = join(process.cwd(), ".tmp", "test-output", "console");

/** Chromium to drive: $CHROMIUM_PATH, else Debian's package; undefined when there is none. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path as string));
}

export const noChromium =
  "no Chromium found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary";

export interface ConsoleUnderTest {
  local: LocalMode;
  server: HttpServer;
  /** Base URL without a trailing slash. */
  url: string;
  stop(): Promise<void>;
}

/** Local mode on a table of its own on the run's DynamoDB Local, served on a free port with the console. */
export async function startConsole(tableName: string): Promise<ConsoleUnderTest> {
  const local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName });
  const server = await startHttpServer({ port: 0, handler: local.api, localRoutes: local.console });
  return {
    local,
    server,
    url: server.url,
    stop: async () => {
      await server.close();
      await local.stop();
    },
  };
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ["--no-sandbox"] });
}

/** An answer or failure that a test expects: its method, a part of its URL, and the status (or failure) it has. */
export interface ExpectedTrouble {
  method?: string;
  url: string | RegExp;
  status?: number;
  failure?: string;
}

/**
 * Records what went wrong in a page: console errors, uncaught errors, failed requests and answers of 400 and
 * above, except the ones the test expects (a 409 it provokes, the tail's stream aborted when the page goes).
 */
export function watchPage(page: Page, expected: ExpectedTrouble[]): { troubles: string[] } {
  const troubles: string[] = [];
  const isExpected = (method: string, url: string, outcome: { status?: number; failure?: string }) =>
    expected.some(
      (trouble) =>
        (trouble.method === undefined || trouble.method === method) &&
        (typeof trouble.url === "string" ? url.includes(trouble.url) : trouble.url.test(url)) &&
        (trouble.status === undefined || trouble.status === outcome.status) &&
        (trouble.failure === undefined || outcome.failure?.includes(trouble.failure)),
    );
  page.on("console", (message) => {
    // Chromium also logs each answer of 400 and above; those are judged below, by their request.
    if (message.type() !== "error" || message.text().startsWith("Failed to load resource")) return;
    troubles.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => troubles.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "failed";
    if (!isExpected(request.method(), request.url(), { failure })) {
      troubles.push(`request failed: ${request.method()} ${request.url()}: ${failure}`);
    }
  });
  page.on("response", (response) => {
    const request = response.request();
    if (response.status() >= 400 && !isExpected(request.method(), response.url(), { status: response.status() })) {
      troubles.push(`answer ${response.status()}: ${request.method()} ${response.url()}`);
    }
  });
  return { troubles };
}

/** What browserSuite starts before its tests and stops after them. */
export interface ServedConsole {
  /** The console's base URL, without a trailing slash. */
  url: string;
  /** The store's API for the tests' own calls (default: `url`). */
  apiUrl?: string;
  stop(): Promise<void>;
}

/** A describe block's console, browser and page of the test running; see browserSuite. */
export interface BrowserSuite {
  readonly url: string;
  readonly page: Page;
  /** What the page may see fail in the test running: a test adds the answers it provokes. */
  readonly expected: ExpectedTrouble[];
  /** Calls the store's API directly (not through the page): status and parsed JSON. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Opens a view of the console: `#/types`, … */
  open(hash: string): Promise<void>;
  /** The listings follow the change feed: waits until the type's listing has the stream, as the console shows it. */
  listed(streamType: string, streamId: string): Promise<void>;
}

/**
 * Registers a describe block's hooks: `start` and Chromium once before its tests, a fresh page per test, watched
 * (watchPage) for what it does not expect, which fails the test; both stopped after the tests. Leaving a view
 * aborts what it still has running (requests, long polls, the tail's stream): always expected.
 */
export function browserSuite(
  executablePath: string | undefined,
  start: () => Promise<ServedConsole>,
  alsoExpected: () => ExpectedTrouble[] = () => [],
): BrowserSuite {
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let watch: { troubles: string[] } = { troubles: [] };
  let expected: ExpectedTrouble[] = [];
  const started = () => {
    if (!served) throw new Error("the suite's console is not started");
    return served;
  };
  before(async () => {
    served = await start();
    browser = await launchChromium(executablePath as string);
  });
  after(async () => {
    await browser?.close();
    await served?.stop();
  });
  beforeEach(async () => {
    page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 800 } });
    expected = [{ url: started().url, failure: "ERR_ABORTED" }, ...alsoExpected()];
    watch = watchPage(page, expected);
  });
  afterEach(async () => {
    await page?.close();
    assert.deepEqual(watch.troubles, [], "no console error, page error or failed request");
  });
  return {
    get url() {
      return started().url;
    },
    get page() {
      if (!page) throw new Error("no page outside a test");
      return page;
    },
    get expected() {
      return expected;
    },
    async api(method, path, body) {
      const answer = await fetch(`${started().apiUrl ?? started().url}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: answer.status, json: await answer.json() };
    },
    async open(hash) {
      await this.page.goto(`${started().url}/${hash}`);
    },
    async listed(streamType, streamId) {
      await waitUntil(`stream ${streamId} is listed`, async () => {
        const { json } = await this.api("GET", `/streams/${streamType}?limit=1000`);
        return json.streamPage.streams.some((stream: { streamId: string }) => stream.streamId === streamId);
      });
    },
  };
}

/** Saves a screenshot of the page as it is now under `screenshotFolder`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotFolder, { recursive: true });
  const path = join(screenshotFolder, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Sends a request to the local server; the answer's status, headers and body text. */
export async function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

/** Polls `condition` every 100 ms until it holds; throws with `what` when `timeoutMs` passed first. */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}
