/**
 * The console's live tail: `GET /_console/tail?streamType=T&eventType=E` answers with server-sent events, one per
 * notification that a subscription of its own receives. Each connection subscribes a fresh local SQS queue to the
 * notification topic with an SNS filter policy on the message attributes (what a subscriber in AWS would do, see
 * local/subscription.ts), and removes queue and subscription when the browser goes away. Nothing is kept between
 * connections: a notification published while the browser reconnects is not shown.
 *
 * Events: `ready` once the subscription stands (data: the filter policy), `notification` per notification (data:
 * `{"body", "attributes"}` as subscription.ts reads them), `problem` before the stream ends on a failure of the
 * local SNS/SQS (data: `{"title", "detail"}`); a comment line every 15 s keeps idle connections open.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { invalidInput } from "#api/input.ts";
import { errorResponse, problemResponse, problemTypes } from "#api/problem.ts";
import { maxEventTypeLength } from "#api/schema.ts";
import { streamTypePattern, streamTypeRule } from "#shared/stream-type.ts";
import { writeResult } from "../http-server.ts";
import type { LocalNotifications } from "../notifications.ts";
import { type LocalSubscription, subscribeLocalQueue } from "../subscription.ts";

export const tailPath = "/_console/tail";

/** Each open tail holds a queue and a subscription; a page left open in many tabs should not pile up more. */
export const maxOpenTails = 16;
/** Values per filter attribute (SNS allows 150 values in a whole filter policy). */
const maxFilterValues = 20;
const keepAliveMs = 15_000;
/** What EventSource waits before it reconnects after the stream ends. */
const reconnectMs = 2_000;

export type FilterPolicy = Partial<Record<"streamType" | "eventType", string[]>>;

export interface Tails {
  /** Serves one tail until the client goes away or `close` is called; resolves with the status sent. */
  serve(request: IncomingMessage, response: ServerResponse, query: URLSearchParams, requestId: string): Promise<number>;
  /** Ends every open tail and waits until their queues are gone. */
  close(): Promise<void>;
}

export function createTails(notifications: Pick<LocalNotifications, "endpoint" | "topicArn">): Tails {
  // Each open tail's way to end it, resolving once its subscription is removed.
  const open = new Set<() => Promise<void>>();
  return {
    async serve(request, response, query, requestId) {
      let filterPolicy: FilterPolicy;
      try {
        filterPolicy = filterPolicyOf(query);
      } catch (error) {
        return writeResult(response, errorResponse(error, requestId));
      }
      if (open.size >= maxOpenTails) {
        const detail = `${maxOpenTails} tails are open already: close a console tab, then retry`;
        return writeResult(response, problemResponse(problemTypes.throttled, detail, requestId, retryLater));
      }
      // The browser may leave while the queue is being subscribed: listen from the start.
      const connection = { open: true };
      response.once("close", () => {
        connection.open = false;
      });
      let subscription: LocalSubscription;
      try {
        subscription = await subscribeLocalQueue({ ...notifications, filterPolicy, namePrefix: "console-tail" });
      } catch (error) {
        const detail = `the local SNS/SQS at ${notifications.endpoint} did not subscribe a queue: ${(error as Error).message}`;
        return writeResult(response, problemResponse(problemTypes.serviceStarting, detail, requestId, retryLater));
      }
      const ended = relay(request, response, connection, subscription, filterPolicy);
      const end = () => {
        response.end();
        return ended;
      };
      open.add(end);
      await ended;
      open.delete(end);
      return 200;
    },
    async close() {
      await Promise.all([...open].map((end) => end()));
    },
  };
}

const retryLater = { headers: { "retry-after": "2" } };

/**
 * The filter policy a tail's query asks for: `streamType` and `eventType`, each repeatable (or comma-separated);
 * none at all receives every notification. Throws a 400 (invalidInput) naming the parameter.
 */
export function filterPolicyOf(query: URLSearchParams): FilterPolicy {
  const errors: Record<string, string[]> = {};
  const policy: FilterPolicy = {};
  const rules = {
    streamType: { valid: (value: string) => streamTypePattern.test(value), rule: `must match ${streamTypeRule}` },
    eventType: {
      valid: (value: string) => value.length <= maxEventTypeLength,
      rule: `must be 1 to ${maxEventTypeLength} characters`,
    },
  };
  for (const [name, { valid, rule }] of Object.entries(rules)) {
    const values = [
      ...new Set(
        query
          .getAll(name)
          .flatMap((value) => value.split(","))
          .map((value) => value.trim())
          .filter(Boolean),
      ),
    ];
    const invalid = values.filter((value) => !valid(value));
    if (invalid.length > 0) errors[name] = [`${rule}, got ${invalid.map((value) => JSON.stringify(value)).join(", ")}`];
    else if (values.length > maxFilterValues) errors[name] = [`takes at most ${maxFilterValues} values`];
    else if (values.length > 0) policy[name as keyof FilterPolicy] = values;
  }
  if (Object.keys(errors).length > 0) throw invalidInput(errors);
  return policy;
}

/** Writes what the subscription receives as server-sent events until the response closes; then unsubscribes. */
async function relay(
  request: IncomingMessage,
  response: ServerResponse,
  connection: { open: boolean },
  subscription: LocalSubscription,
  filterPolicy: FilterPolicy,
): Promise<void> {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    // One stream is the whole connection: when it ends, so does the connection (and the server can close).
    connection: "close",
  });
  let lastWrite = Date.now();
  const send = (text: string) => {
    if (!connection.open) return;
    response.write(text);
    lastWrite = Date.now();
  };
  send(`retry: ${reconnectMs}\n`);
  send(serverSentEvent("ready", { filterPolicy }));
  try {
    while (connection.open) {
      // A long poll of a second: the loop notices a closed response within that.
      const notifications = await subscription.receive(1);
      for (const notification of notifications) send(serverSentEvent("notification", notification));
      if (Date.now() - lastWrite >= keepAliveMs) send(": keep-alive\n\n");
    }
  } catch (error) {
    const detail = `receiving from the local SNS/SQS failed: ${(error as Error).message}`;
    send(serverSentEvent("problem", { title: "Tail interrupted", detail }));
    console.error(`console tail (${request.url}): ${detail}`);
  } finally {
    response.end();
    await subscription.close();
  }
}

/** One server-sent event; JSON text has no line breaks, so the data fits on one `data:` line. */
function serverSentEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
