/** The events the bench writes: one shape everywhere, so capacity, store and HTTP figures describe the same data. */
import { randomUUID } from "node:crypto";
import type { NewEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";

/** Payload size of the "200-byte event" (the JSON text as the client sends it). */
export const payloadBytes = 200;

export const benchEventType = "BenchEventHappened";

/** A JSON object of exactly `payloadBytes` bytes. */
export function payloadText(): string {
  const frame = JSON.stringify({ kind: "bench", pad: "" });
  return JSON.stringify({ kind: "bench", pad: "x".repeat(payloadBytes - Buffer.byteLength(frame)) });
}

const payload = payloadText();

/** A bench event: its payload always the JSON text itself (never an upload). */
export type BenchEvent = NewEvent & { payload: RawJson };

export function newEvent(): BenchEvent {
  return { eventType: benchEventType, payload: new RawJson(payload) };
}

export function newEvents(count: number): BenchEvent[] {
  return Array.from({ length: count }, newEvent);
}

/** The body of `PUT /streams/{type}/{id}/events/{revision}`. */
export function appendRequestBody(): string {
  return `{"event":{"eventType":"${benchEventType}","payload":${payload}}}`;
}

export function newStreamId(): string {
  return randomUUID();
}
