/**
 * Part 7: what the TypeScript client (client/) adds to an append. The same request — `PUT
 * /streams/{type}/{id}/events/{revision}` with a 200-byte payload and an eventId — sent one at a time by a bare
 * fetch and by `EventStoreClient.appendAt`, without auth and with SigV4 (static credentials; local mode does not
 * check signatures, so this measures the signing itself). Each variant appends to a stream of its own; the variants
 * take turns request by request, so that drift of the machine and of DynamoDB Local hits them alike: the store's
 * own time (~2 ms an append) varies far more over a run than the client adds.
 */
import { randomUUID } from "node:crypto";
import { EventStoreClient } from "../client/index.ts";
import type { BenchConfig } from "./config.ts";
import { benchEventType, newStreamId, payloadText } from "./events.ts";
import { median, ratio, round } from "./stats.ts";

export interface ClientOverheadRow {
  variant: "bare fetch" | "client, auth none" | "client, auth iam";
  requests: number;
  meanUs: number;
  p50Us: number;
  /** Mean against the bare fetch's. */
  toBare: number;
  /** Mean minus the bare fetch's. */
  overheadUs: number;
}

const streamType = "bench-client";

export async function measureClientOverhead(options: {
  url: string;
  config: BenchConfig["clientOverhead"];
}): Promise<ClientOverheadRow[]> {
  const { url, config } = options;
  const payload = JSON.parse(payloadText()) as unknown;
  const variants: { name: ClientOverheadRow["variant"]; append: (id: string, revision: number) => Promise<void> }[] = [
    {
      name: "bare fetch",
      append: async (id, revision) => {
        const response = await fetch(`${url}/streams/${streamType}/${id}/events/${revision}`, {
          method: "PUT",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ event: { eventType: benchEventType, payload, eventId: randomUUID() } }),
        });
        await response.json();
        if (response.status !== 201) throw new Error(`bare append answered ${response.status}`);
      },
    },
    ...(["none", "iam"] as const).map((auth) => {
      const client = new EventStoreClient({
        url,
        auth,
        region: "us-east-1",
        credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      });
      return {
        name: `client, auth ${auth}` as const,
        append: async (id: string, revision: number) => {
          await client.appendAt(streamType, id, revision, { eventType: benchEventType, payload });
        },
      };
    }),
  ];

  const streams = variants.map(() => ({ id: newStreamId(), revision: 0 }));
  const samples = variants.map((): number[] => []);
  for (let round = 0; round < config.warmUpRequests + config.requests; round++) {
    for (const [index, variant] of variants.entries()) {
      const stream = streams[index] as { id: string; revision: number };
      const started = performance.now();
      await variant.append(stream.id, ++stream.revision);
      if (round >= config.warmUpRequests) samples[index]?.push((performance.now() - started) * 1000);
    }
  }

  const means = samples.map((times) => times.reduce((sum, time) => sum + time, 0) / times.length);
  const bareMean = means[0] as number;
  return variants.map((variant, index) => ({
    variant: variant.name,
    requests: samples[index]?.length ?? 0,
    meanUs: round(means[index] as number, 0),
    p50Us: round(median(samples[index] ?? []), 0),
    toBare: round(ratio(means[index] as number, bareMean), 3),
    overheadUs: round((means[index] as number) - bareMean, 0),
  }));
}
