/**
 * Payloads beyond what a request or an answer carries (SPEC section 12), handled so that callers never see the
 * difference: a payload too large for a request is uploaded first (`POST /uploads`, then a PUT to the URL it gives)
 * and the append names the upload; a payload an answer had no room for comes as a short-lived `payloadUrl`, which the
 * client reads and checks against its SHA-256 before it hands the event out.
 */
import { withEventId } from "./common.ts";
import type { Transport } from "./transport.ts";
import type { NewEvent } from "./types.ts";

/** What an append's payloads may take in its request before the largest go by upload: the 6 MB limit, less room. */
export const requestPayloadBudgetBytes = 5 * 1024 * 1024;

interface Upload {
  uploadId: string;
  url: string;
}

/**
 * The events of a write as they are sent: each with its eventId (fixed before the first attempt, so that retries
 * repeat it), the largest payloads uploaded when they would not fit one request.
 */
export function eventsToSend<Event extends NewEvent>(
  transport: Transport,
  events: Event[],
  signal?: AbortSignal,
): Promise<Event[]> {
  return uploadLargePayloads(transport, events.map(withEventId), signal);
}

/** The events, their largest payloads uploaded (and named by `upload`) until the rest fits one request. */
export async function uploadLargePayloads<Event extends NewEvent>(
  transport: Transport,
  events: Event[],
  signal?: AbortSignal,
): Promise<Event[]> {
  const texts = events.map((event) => (event.upload === undefined ? JSON.stringify(event.payload) : ""));
  const sizes = texts.map((text) => new TextEncoder().encode(text).length);
  let total = sizes.reduce((sum, size) => sum + size, 0);
  if (total <= requestPayloadBudgetBytes) return events;
  const largestFirst = sizes.map((size, index) => ({ size, index })).sort((a, b) => b.size - a.size);
  const uploaded = [...events];
  for (const { size, index } of largestFirst) {
    if (total <= requestPayloadBudgetBytes) break;
    // An empty JSON body: local mode takes writes as application/json only (its guard against cross-site forms).
    const upload = await transport.call<{ upload: Upload }>("POST", ["uploads"], { signal, body: {} });
    await transport.presigned("PUT", upload.upload.url, texts[index], signal);
    const { payload: _sent, ...event } = events[index] as Event;
    uploaded[index] = { ...event, upload: upload.upload.uploadId } as Event;
    total -= size;
  }
  return uploaded;
}

/** An event as answers carry it: its payload, or a URL of it (with its size and hash). */
interface AnsweredEvent {
  payload?: unknown;
  payloadUrl?: string;
  payloadSize?: number;
  payloadSha256?: string;
}

/** The events with each payload that came as a URL read in, checked by its SHA-256, and put in its place. */
export async function followPayloadUrls<Event extends AnsweredEvent>(
  transport: Transport,
  events: Event[],
  signal?: AbortSignal,
): Promise<Event[]> {
  if (!events.some((event) => event.payloadUrl !== undefined)) return events;
  return Promise.all(
    events.map(async (event) => {
      const { payloadUrl, payloadSize: _size, payloadSha256, ...rest } = event;
      if (payloadUrl === undefined) return event;
      const text = await transport.presigned("GET", payloadUrl, undefined, signal);
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
      const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
      if (hex !== payloadSha256)
        throw new Error(`a payload read from its URL does not match its SHA-256 (${payloadSha256})`);
      return { ...rest, payload: JSON.parse(text) } as Event;
    }),
  );
}
