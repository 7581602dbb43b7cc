/**
 * Part 3: HTTP throughput and latency of local mode (the API handler behind the local function-URL server, in its
 * own process), measured with autocannon's programmatic API. The change feed is stopped meanwhile, so the figures
 * describe the API and sit next to the store figures of part 2. Beside each window, the API process's CPU time
 * (`process.cpuUsage()` read by the child around the window) divided by the requests answered: the cost of one
 * request on our side, which shows regressions that the shared machine's noise hides in req/s.
 *
 * Appends use the compatible endpoint `PUT /streams/{type}/{id}/events/{revision}` with exact revisions: each
 * connection owns a stream (its first PUT, revision 1, creates it) and sends the next revision after every 201,
 * so no 409 is expected — the same operation as the store's "append 1 event, many streams".
 */
import autocannon, { type AutocannonClient, type AutocannonRequest, type AutocannonResult } from "autocannon";
import { appendRequestBody, newStreamId } from "./events.ts";
import { round } from "./stats.ts";
import { readStreamType } from "./throughput.ts";

export interface HttpRow {
  id: "create" | "append" | "read" | "details" | "list-follow" | "list-page";
  request: string;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that are not 2xx, by status; must be empty. */
  non2xx: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
  /** CPU time of the API process (user + system) per answered request, when the process reports it. */
  cpuMsPerRequest?: number;
}

/** User + system CPU microseconds of the API process so far (`process.cpuUsage()` there). */
export type CpuUsageProbe = () => Promise<number>;

const httpStreamType = "bench-http";
/** The stream type whose streams the listing requests page through (summaries prepared by the caller). */
export const httpListingStreamType = "bench-http-list";

export async function measureHttp(options: {
  url: string;
  readStreamIds: string[];
  connections: number[];
  durationSeconds: number;
  warmUpSeconds: number;
  /** Streams of `httpListingStreamType` with summaries; the listing page of one request holds them all. */
  listingStreams: number;
  cpuUsage?: CpuUsageProbe;
}): Promise<HttpRow[]> {
  const scenarios: { id: HttpRow["id"]; request: string; setupClient: (client: AutocannonClient) => void }[] = [
    { id: "create", request: "POST /streams/{type}", setupClient: createClient },
    { id: "append", request: "PUT /streams/{type}/{id}/events/{revision}", setupClient: appendClient },
    {
      id: "read",
      request: "GET /streams/{type}/{id}/events",
      setupClient: readClient(options.readStreamIds, (id) => `/streams/${readStreamType}/${id}/events`),
    },
    {
      id: "details",
      request: "GET /streams/{type}/{id}/details",
      setupClient: readClient(options.readStreamIds, (id) => `/streams/${readStreamType}/${id}/details`),
    },
    {
      id: "list-follow",
      request: `GET /streams/{type} (${options.listingStreams} streams, following pages)`,
      setupClient: listingFollowClient,
    },
    {
      id: "list-page",
      request: `GET /streams/{type}?limit=${options.listingStreams}`,
      setupClient: readClient([""], () => `/streams/${httpListingStreamType}?limit=${options.listingStreams}`),
    },
  ];
  const maxConnections = Math.max(...options.connections);
  const rows: HttpRow[] = [];
  for (const scenario of scenarios) {
    if (options.warmUpSeconds > 0) {
      await run(options.url, scenario.setupClient, maxConnections, options.warmUpSeconds);
    }
    for (const connections of options.connections) {
      const cpuBefore = await options.cpuUsage?.();
      const result = await run(options.url, scenario.setupClient, connections, options.durationSeconds);
      const cpuAfter = await options.cpuUsage?.();
      const answered = result.requests.total;
      const non2xx = Object.fromEntries(
        Object.entries(result.statusCodeStats)
          .filter(([status]) => !status.startsWith("2"))
          .map(([status, stats]) => [status, stats.count]),
      );
      rows.push({
        id: scenario.id,
        request: scenario.request,
        connections,
        requestsPerSecond: round(result["2xx"] / result.duration, 1),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        seconds: result.duration,
        ...(cpuBefore !== undefined && cpuAfter !== undefined && answered > 0
          ? { cpuMsPerRequest: round((cpuAfter - cpuBefore) / 1000 / answered, 3) }
          : {}),
      });
    }
  }
  return rows;
}

function run(
  url: string,
  setupClient: (client: AutocannonClient) => void,
  connections: number,
  durationSeconds: number,
): Promise<AutocannonResult> {
  return autocannon({ url, connections, duration: durationSeconds, pipelining: 1, timeout: 10, setupClient });
}

/** Each connection appends to a stream of its own, always at the next revision. */
function appendClient(client: AutocannonClient): void {
  const stream = { id: newStreamId(), revision: 0 };
  const body = appendRequestBody();
  const request: AutocannonRequest = {
    method: "PUT",
    headers: { "content-type": "application/json" },
    setupRequest: (defaults) => ({
      ...defaults,
      method: "PUT",
      path: `/streams/${httpStreamType}/${stream.id}/events/${stream.revision + 1}`,
      headers: { "content-type": "application/json" },
      body,
    }),
    onResponse: (status, responseBody) => {
      if (status === 201) stream.revision++;
      // Not expected; if a response was lost, resynchronise instead of failing every request after it.
      else if (status === 409) stream.revision = Number(JSON.parse(responseBody).currentRevision);
    },
  };
  client.setRequests([request]);
}

/** Each connection creates new streams (`POST /streams/{type}`), one per request. */
function createClient(client: AutocannonClient): void {
  const body = `{"initialEvent":${appendRequestBody().slice('{"event":'.length, -1)}}`;
  client.setRequests([
    { method: "POST", path: `/streams/${httpStreamType}`, headers: { "content-type": "application/json" }, body },
  ]);
}

/** Each connection lists the type as `eshttp` does: from the start, following `nextPageKey` to the last page. */
function listingFollowClient(client: AutocannonClient): void {
  const first = `/streams/${httpListingStreamType}?updated-after=${encodeURIComponent(new Date(0).toISOString())}`;
  let path = first;
  client.setRequests([
    {
      method: "GET",
      setupRequest: (defaults) => ({ ...defaults, method: "GET", path }),
      onResponse: (status, responseBody) => {
        const page = status === 200 ? (JSON.parse(responseBody).streamPage as { nextPageKey?: string }) : {};
        path = page.nextPageKey ? `${first}&nextPageKey=${encodeURIComponent(page.nextPageKey)}` : first;
      },
    },
  ]);
}

/** Each connection reads the prepared streams in turn, starting at a different one. */
function readClient(ids: string[], path: (id: string) => string): (client: AutocannonClient) => void {
  let connection = 0;
  return (client) => {
    let cursor = connection++;
    client.setRequests([
      {
        method: "GET",
        setupRequest: (defaults) => ({ ...defaults, method: "GET", path: path(ids[cursor++ % ids.length] as string) }),
      },
    ]);
  };
}
