/**
 * Part 4: fan-out delay of local mode. Appends go through the HTTP API; the clock starts when the 201 arrives
 * and stops when the notification is received from a local SQS queue subscribed to the topic with a filter
 * policy on the stream type. In between: DynamoDB Local's stream, the poller (local/change-feed/poller.ts), the real
 * change-feed handler (summary upkeep, then PublishBatch through the real SNS publisher) and fauxqs.
 * Events of another stream type are mixed in; the filter must hold every one of them back.
 */
import { subscribeLocalQueue } from "#local/subscription.ts";
import type { BenchConfig } from "./config.ts";
import { appendRequestBody, newStreamId } from "./events.ts";
import { percentile, round } from "./stats.ts";

export interface FanOutResult {
  /** Notifications expected on the queue (events of the subscribed type). */
  events: number;
  received: number;
  /** Events of the other stream type appended, and how many of them reached the queue (must be 0). */
  otherTypeAppended: number;
  otherTypeReceived: number;
  /** Notifications received more than once (at-least-once delivery allows it; local mode should show none). */
  duplicates: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  budgetP50Ms: number;
  met: boolean;
}

const subscribedType = "bench-fanout";
const otherType = "bench-fanout-other";

export async function measureFanOut(options: {
  apiUrl: string;
  snsEndpoint: string;
  topicArn: string;
  config: BenchConfig["fanOut"];
}): Promise<FanOutResult> {
  const { config } = options;
  const subscription = await subscribeLocalQueue({
    endpoint: options.snsEndpoint,
    topicArn: options.topicArn,
    filterPolicy: { streamType: [subscribedType] },
    namePrefix: "bench",
  });
  try {
    const receivedAt = new Map<string, number>();
    const arrivals: { key: string; type: string }[] = [];
    let receiving = true;
    // Two long-polling receivers, so that one receive in flight never holds back the next message.
    const receivers = [0, 1].map(async () => {
      while (receiving) {
        const notifications = await subscription.receive();
        const now = performance.now();
        for (const { body } of notifications) {
          const key = `${body.StreamId}:${body.StreamRevision}`;
          arrivals.push({ key, type: String(body.StreamType) });
          if (!receivedAt.has(key)) receivedAt.set(key, now);
        }
      }
    });

    const append = appender(options.apiUrl);
    // Warm-up, untimed: also lets the feed work off the records that earlier parts left in the table's stream.
    const warmUp = { id: newStreamId(), revision: 0 };
    const warmKeys: string[] = [];
    for (let i = 0; i < 5; i++) warmKeys.push((await append(subscribedType, warmUp)).key);
    await waitFor(() => warmKeys.every((key) => receivedAt.has(key)), 60_000, "warm-up notifications");

    const streams = Array.from({ length: config.streams }, () => ({ id: newStreamId(), revision: 0 }));
    const other = { id: newStreamId(), revision: 0 };
    const acknowledgedAt = new Map<string, number>();
    const otherKeys = new Set<string>();
    const started = performance.now();
    for (let i = 0; i < config.events; i++) {
      const due = started + i * config.intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { key, at } = await append(subscribedType, streams[i % streams.length] as { id: string; revision: number });
      acknowledgedAt.set(key, at);
      if ((i + 1) % config.otherTypeEvery === 0) otherKeys.add((await append(otherType, other)).key);
    }
    await waitFor(
      () => [...acknowledgedAt.keys()].every((key) => receivedAt.has(key)),
      config.drainTimeoutMs,
      undefined,
    );
    // Give stray notifications (duplicates, leaked other-type events) a moment to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiving = false;
    await Promise.all(receivers);

    const delays = [...acknowledgedAt]
      .filter(([key]) => receivedAt.has(key))
      .map(([key, at]) => (receivedAt.get(key) as number) - at);
    const counted = arrivals.filter((arrival) => acknowledgedAt.has(arrival.key));
    const p50Ms = round(percentile(delays, 0.5), 1);
    const budgetP50Ms = 500;
    return {
      events: acknowledgedAt.size,
      received: delays.length,
      otherTypeAppended: otherKeys.size,
      otherTypeReceived: arrivals.filter((arrival) => otherKeys.has(arrival.key)).length,
      duplicates: counted.length - new Set(counted.map((arrival) => arrival.key)).size,
      p50Ms,
      p90Ms: round(percentile(delays, 0.9), 1),
      p99Ms: round(percentile(delays, 0.99), 1),
      maxMs: round(Math.max(...delays), 1),
      budgetP50Ms,
      met: delays.length === acknowledgedAt.size && p50Ms <= budgetP50Ms,
    };
  } finally {
    await subscription.close();
  }
}

/** Appends one event at the stream's next revision; returns its notification key and when the 201 arrived. */
export function appender(apiUrl: string) {
  const body = appendRequestBody();
  return async (streamType: string, stream: { id: string; revision: number }) => {
    const revision = stream.revision + 1;
    const response = await fetch(`${apiUrl}/streams/${streamType}/${stream.id}/events/${revision}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body,
    });
    const at = performance.now();
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`append answered ${response.status}`);
    stream.revision = revision;
    return { key: `${stream.id}:${revision}`, at };
  };
}

/** Polls `done` until it holds; throws after `timeoutMs` when `what` names the wait, else just returns. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: string | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) {
      if (what) throw new Error(`no ${what} within ${timeoutMs} ms`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
