import assert from "node:assert/strict";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { after, before, describe, it } from "node:test";
import { ListSubscriptionsByTopicCommand, PublishCommand } from "@aws-sdk/client-sns";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { contentSecurityPolicy, createConsole, prefersHtml } from "#local/console/serve.ts";
import { maxOpenTails } from "#local/console/tail-stream.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { type TestNotifications, testNotifications } from "#test/support/notifications.ts";
import { send, waitUntil } from "./support.ts";

describe("the console's routes in the local server", () => {
  let notifications: TestNotifications;
  let server: HttpServer;
  let apiEvents: LambdaFunctionURLEvent[];
  before(async () => {
    notifications = await testNotifications();
    apiEvents = [];
    server = await startHttpServer({
      port: 0,
      // A stand-in API that says it was reached: whatever the console does not serve must get here.
      handler: async (event) => {
        apiEvents.push(event);
        return { statusCode: 404, headers: { "content-type": "application/problem+json" }, body: '{"title":"api"}' };
      },
      localRoutes: createConsole(notifications),
    });
  });
  after(async () => {
    await server?.close();
    await notifications?.stop();
  });

  it("a browser's request for / gets the page, with a strict Content-Security-Policy", async () => {
    const accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    const page = await fetch(`${server.url}/`, { headers: { accept } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("content-security-policy"), contentSecurityPolicy);
    assert.match(contentSecurityPolicy, /default-src 'self'/);
    assert.doesNotMatch(contentSecurityPolicy, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("vary"), "Accept");
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/_console\/console.js"><\/script>/);
    assert.doesNotMatch(html, /<script>|<style|style=/, "no inline script or style");
  });

  it("a request for / that asks for JSON, or for anything, still goes to the API", async () => {
    for (const accept of ["application/json", "*/*", "application/json, text/html;q=0.5", undefined]) {
      const before = apiEvents.length;
      const answer = await fetch(`${server.url}/`, { headers: accept ? { accept } : {} });
      assert.equal(answer.status, 404, String(accept));
      assert.equal(apiEvents.length, before + 1, `${accept} reached the API`);
    }
    const posted = await fetch(`${server.url}/`, {
      method: "POST",
      headers: { accept: "text/html", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(posted.status, 404);
    assert.equal(apiEvents.at(-1)?.requestContext.http.method, "POST");
  });

  it("chooses the page by the Accept header's preferences", () => {
    assert.equal(prefersHtml("text/html"), true);
    assert.equal(prefersHtml("text/html, application/json"), true);
    assert.equal(prefersHtml("application/json;q=0.9, text/html"), true);
    assert.equal(prefersHtml("application/json, text/html;q=0.9"), false);
    assert.equal(prefersHtml("text/html;q=0, */*"), false);
    assert.equal(prefersHtml("*/*"), false);
    assert.equal(prefersHtml(undefined), false);
  });

  it("serves its files with their content types, revalidated by ETag", async () => {
    for (const [path, type] of [
      ["/_console/console.js", "text/javascript; charset=utf-8"],
      ["/_console/views/stream.js", "text/javascript; charset=utf-8"],
      ["/_console/console.css", "text/css; charset=utf-8"],
      ["/_console/icon.svg", "image/svg+xml"],
    ]) {
      const answer = await fetch(`${server.url}${path}`);
      assert.equal(answer.status, 200, path);
      assert.equal(answer.headers.get("content-type"), type, path);
      assert.equal(answer.headers.get("cache-control"), "no-cache", path);
      const etag = answer.headers.get("etag") ?? "";
      assert.match(etag, /^"[\w-]+"$/);
      const again = await fetch(`${server.url}${path}`, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304, path);
    }
  });

  it("serves nothing but the page's own files: other paths reach the API", async () => {
    for (const path of [
      "/_console/serve.ts",
      "/_console/tsconfig.json",
      "/_console/../serve.ts",
      "/_console/%2e%2e/serve.ts",
      "/_console/missing.js",
      "/_console/a/b/c.js",
    ]) {
      const before = apiEvents.length;
      const answer = await send(`${server.url}${path}`);
      assert.equal(answer.status, 404, path);
      assert.equal(apiEvents.length, before + 1, `${path} reached the API`);
    }
  });

  it("keeps the local server's guards: a page on another host name is refused", async () => {
    const answer = await send(`${server.url}/`, { headers: { host: "evil.example", accept: "text/html" } });
    assert.equal(answer.status, 421);
    assert.match(answer.text, /"host"/);
    const tail = await send(`${server.url}/_console/tail`, { headers: { host: "evil.example" } });
    assert.equal(tail.status, 421);
  });

  it("the tail relays the notifications its filter policy lets through, as server-sent events", async () => {
    const stream = await openEventStream(`${server.url}/_console/tail?streamType=order&eventType=Placed,Paid`);
    try {
      assert.deepEqual(JSON.parse(await stream.next("ready")), {
        filterPolicy: { streamType: ["order"], eventType: ["Placed", "Paid"] },
      });
      await publish("invoice", "Placed", "1");
      await publish("order", "Shipped", "2");
      await publish("order", "Paid", "3");
      const relayed = JSON.parse(await stream.next("notification"));
      assert.equal(relayed.body.StreamRevision, "3");
      assert.deepEqual(relayed.attributes, { streamType: "order", eventType: "Paid" });
    } finally {
      stream.close();
    }
  });

  it("the tail removes its subscription when the client goes away", async () => {
    const subscriptions = async () =>
      new Set(
        (
          await notifications.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: notifications.topicArn }))
        ).Subscriptions?.map((subscription) => subscription.SubscriptionArn as string),
      );
    // By its ARN: an earlier test's tail may still be going away while this one starts, so counts would race.
    const before = await subscriptions();
    const stream = await openEventStream(`${server.url}/_console/tail?streamType=order`);
    await stream.next("ready");
    const ours = [...(await subscriptions())].filter((arn) => !before.has(arn));
    assert.equal(ours.length, 1);
    stream.close();
    // Within a long poll (1 s) of the relay loop; generous, since a loaded machine (the whole suite) slows it.
    await waitUntil(
      "the tail's subscription is gone",
      async () => !(await subscriptions()).has(ours[0] as string),
      30_000,
    );
  });

  it("the tail refuses a filter that is not one, naming the parameter", async () => {
    const answer = await send(`${server.url}/_console/tail?streamType=no%20spaces&eventType=${"x".repeat(257)}`);
    assert.equal(answer.status, 400);
    assert.equal(answer.headers["content-type"], "application/problem+json");
    const problem = JSON.parse(answer.text);
    assert.deepEqual(Object.keys(problem.errors).sort(), ["eventType", "streamType"]);
  });

  it(`the tail holds at most ${maxOpenTails} subscriptions at once`, async () => {
    const streams = await Promise.all(
      Array.from({ length: maxOpenTails }, () => openEventStream(`${server.url}/_console/tail`)),
    );
    try {
      await Promise.all(streams.map((stream) => stream.next("ready")));
      const refused = await send(`${server.url}/_console/tail`);
      assert.equal(refused.status, 503);
      assert.ok(refused.headers["retry-after"]);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it("closing the server ends the open tails instead of waiting for them", async () => {
    const local = await startHttpServer({
      port: 0,
      handler: async () => ({ statusCode: 204 }),
      localRoutes: createConsole(notifications),
    });
    const stream = await openEventStream(`${local.url}/_console/tail`);
    await stream.next("ready");
    const started = Date.now();
    await local.close();
    assert.ok(Date.now() - started < 5_000, "closed within seconds");
    await stream.ended;
  });

  async function publish(streamType: string, eventType: string, revision: string) {
    await notifications.sns.send(
      new PublishCommand({
        TopicArn: notifications.topicArn,
        Message: JSON.stringify({ StreamType: streamType, EventType: eventType, StreamRevision: revision }),
        MessageAttributes: {
          streamType: { DataType: "String", StringValue: streamType },
          eventType: { DataType: "String", StringValue: eventType },
        },
      }),
    );
  }
});

interface EventStream {
  /** The data of the next event of this name (earlier events of other names are passed over). */
  next(name: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A server-sent event stream read with node:http (EventSource is a browser's; the browser tests use that). */
async function openEventStream(url: string): Promise<EventStream> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest(url, { headers: { accept: "text/event-stream" } }, resolve);
    request.on("error", reject);
    request.end();
  });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers["content-type"], "text/event-stream; charset=utf-8");
  const events: { name: string; data: string }[] = [];
  let buffer = "";
  response.setEncoding("utf8");
  response.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name && data !== undefined) events.push({ name, data });
    }
  });
  const ended = new Promise<void>((resolve) => response.once("close", () => resolve()));
  return {
    ended,
    async next(name, timeoutMs = 10_000) {
      let found: { data: string } | undefined;
      await waitUntil(
        `a "${name}" event arrived`,
        async () => {
          const index = events.findIndex((event) => event.name === name);
          found = index === -1 ? undefined : events.splice(0, index + 1).at(-1);
          return found !== undefined;
        },
        timeoutMs,
      );
      return (found as { data: string }).data;
    },
    close: () => response.destroy(),
  };
}
