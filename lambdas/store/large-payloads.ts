/**
 * Payloads beyond DynamoDB's 400 KB item (SPEC section 12): a claim check in S3.
 *
 * Writing. A payload over the threshold (350 KB by default) is put as an object before the event's conditional
 * write, under a key of the hour, the stream, the revision the attempt writes and the eventId; the event item keeps
 * the key, the size and the SHA-256 instead of the text. The DynamoDB write stays the commit point: an attempt that
 * loses its race or is refused deletes its objects at once; an attempt that dies between the put and the write, or
 * whose write failed without saying it was not applied (a timeout), leaves an object that no event may name, which
 * `sweepPayloads` (payload-sweep.ts) removes once its hour is past the grace (nothing can
 * commit it then: an append never outlives the API's timeout). An object that an event names is never removed.
 *
 * Uploads. A payload larger than a request can carry (6 MB) is uploaded first (`POST /uploads` gives a pre-signed
 * PUT for `uploads/<id>`), and the append names the upload instead of the payload: the store reads it (at most
 * `maxUploadBytes`, checked to be JSON) and writes it as the event's own object as above. The upload stays until it
 * expires (S3's lifecycle rule after a day in AWS, the sweep everywhere), so that a retried append still finds it.
 *
 * Reading. `resolvePayloads` puts a stored payload's text into the answer while the answer stays within the
 * function URL's 6 MB, and otherwise a pre-signed URL (15 minutes), with the size and the hash to check it by.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { InvalidInputError, TooLargeError } from "./errors.ts";
import { eventItem, type Item, type NewEventWithId } from "./items.ts";
import type { NewEvent } from "./model.ts";
import type { PayloadObjects } from "./payload-objects.ts";
import { sealPersonalData } from "./personal-data.ts";
import { RawJson, StoredPayload, sha256, UploadedPayload } from "./raw-json.ts";
import type { SubjectKeys } from "./subject-keys.ts";

export { sha256 } from "./raw-json.ts";

/** Payloads above this many bytes go to S3 unless the stack chooses another threshold. */
export const defaultPayloadThresholdBytes = 350 * 1024;
/**
 * The largest payload an append takes, uploaded: the append reads it whole to check it is JSON and to hash it, which
 * the API must do within its 30 s timeout (S3 reads at ~100 MB/s from Lambda), and a reader gets it by its URL.
 */
export const maxUploadBytes = 100 * 1024 * 1024;
/** What an answer may hold of payloads read from S3: the function URL's 6 MB, less room for the rest of the page. */
export const answerPayloadBudgetBytes = 5 * 1024 * 1024;
/** How long a URL of a payload or an upload lasts. */
export const presignedUrlSeconds = 15 * 60;
/** How long after its hour an object no event names is removed; an append cannot commit that late. */
export const sweepGraceMs = 60 * 60 * 1000;
/** How long an upload waits for its append. */
export const uploadLifetimeMs = 24 * 60 * 60 * 1000;

export interface LargePayloads {
  objects: PayloadObjects;
  thresholdBytes: number;
}

/** A new upload: where the client PUTs the payload, and the id an append names it by. */
export interface Upload {
  uploadId: string;
  url: string;
  expiresAt: string;
  maxBytes: number;
}

export async function createUpload(payloads: LargePayloads | undefined, now: number): Promise<Upload> {
  const objects = required(payloads).objects;
  const uploadId = randomUUID();
  const url = await objects.writeUrl(uploadKey(uploadId), presignedUrlSeconds);
  return {
    uploadId,
    url,
    expiresAt: new Date(now + presignedUrlSeconds * 1000).toISOString(),
    maxBytes: maxUploadBytes,
  };
}

/** The events with each upload read in as the payload's text (checked: present, not too large, JSON). */
export async function readUploads<Event extends { payload: RawJson | UploadedPayload }>(
  payloads: LargePayloads | undefined,
  events: Event[],
): Promise<(Omit<Event, "payload"> & { payload: RawJson })[]> {
  return Promise.all(
    events.map(async (event, index) => {
      if (!(event.payload instanceof UploadedPayload)) return { ...event, payload: event.payload };
      const { uploadId } = event.payload;
      const objects = required(payloads).objects;
      const size = await objects.size(uploadKey(uploadId));
      const field = `events[${index}].upload`;
      if (size === undefined) {
        throw new InvalidInputError(`upload ${uploadId} holds nothing`, {
          [field]: ["names no uploaded payload: PUT the payload to the upload's url first (it lasts 15 minutes)"],
        });
      }
      if (size > maxUploadBytes) {
        throw new TooLargeError(`the upload takes ${size} bytes; a payload may take ${maxUploadBytes}`, maxUploadBytes);
      }
      const text = ((await objects.get(uploadKey(uploadId))) ?? Buffer.alloc(0)).toString("utf8");
      if (!isJson(text)) {
        throw new InvalidInputError(`upload ${uploadId} is not JSON`, { [field]: ["must hold a JSON value as UTF-8"] });
      }
      return { ...event, payload: new RawJson(text) };
    }),
  );
}

/** The objects one attempt of an append put for its large payloads, to delete if the attempt does not commit. */
export class StagedPayloads {
  private readonly keys: string[] = [];

  constructor(private readonly payloads: LargePayloads | undefined) {}

  /** The payload as the event item keeps it: its text, or (over the threshold) the object it was put as. */
  async stage(
    payload: RawJson,
    at: { streamId: string; revision: number; eventId: string; now: number },
  ): Promise<RawJson | StoredPayload> {
    const bytes = Buffer.byteLength(payload.text);
    if (!this.payloads || bytes <= this.payloads.thresholdBytes) return payload;
    const body = Buffer.from(payload.text, "utf8");
    const key = payloadKey(at.now, at.streamId, at.revision, at.eventId);
    await this.payloads.objects.put(key, body);
    this.keys.push(key);
    return new StoredPayload(key, body.length, sha256(body));
  }

  /** The attempt did not commit: its objects go (what fails here is left to the sweep). */
  async discard(): Promise<void> {
    const keys = this.keys.splice(0);
    if (this.payloads && keys.length > 0) await this.payloads.objects.delete(keys).catch(() => undefined);
  }
}

/**
 * The events of an append as the store writes them: uploads read in, an eventId each (generated where the client gave
 * none: only client-given ids can make a retry).
 */
export async function eventsToWrite(
  payloads: LargePayloads | undefined,
  events: NewEvent[],
  subjects?: SubjectKeys,
): Promise<NewEventWithId[]> {
  for (const event of events) checkInline(payloads, event);
  const read = await readUploads(payloads, events);
  const withIds = read.map((event) => ({ ...event, eventId: event.eventId ?? randomUUID() }));
  return Promise.all(withIds.map((event) => sealEvent(subjects, event)));
}

/**
 * Personal data is sealed inside the event item: a payload that would go to S3 (an upload, or one over the threshold)
 * cannot carry it (a documented limit: keep personal values in a small event of their own).
 */
function checkInline(payloads: LargePayloads | undefined, event: NewEvent): void {
  if (!event.personalData) return;
  const bytes = event.payload instanceof RawJson ? Buffer.byteLength(event.payload.text) : Number.POSITIVE_INFINITY;
  const limit = payloads?.thresholdBytes ?? defaultPayloadThresholdBytes;
  if (bytes > limit) {
    throw new TooLargeError(
      `an event with personal data is kept inline: its payload may take at most ${limit} bytes (no upload); ` +
        "put the personal values in a smaller event of their own",
      limit,
    );
  }
}

/** The event with its personal values sealed by its subject's data key (personal-data.ts). */
async function sealEvent(
  subjects: SubjectKeys | undefined,
  event: Omit<NewEventWithId, "payload"> & { payload: RawJson },
): Promise<NewEventWithId> {
  const { subject, personalData, ...rest } = event;
  if (!subject || !personalData) return rest;
  if (!subjects) {
    throw new InvalidInputError("this store keeps no subject keys", {
      subject: ["this deployment has no subject keys table: personal data is not available"],
    });
  }
  const key = await subjects.keyForAppend(subject);
  const sealed = sealPersonalData(event, { subject, pointers: personalData }, key);
  return { ...rest, payload: sealed.payload, metadata: sealed.metadata, sealed: sealed.sealed };
}

/** The items of one attempt at these revisions, their large payloads staged in S3 by `staged`. */
export function stagedItems(
  staged: StagedPayloads,
  stream: {
    streamType: string;
    streamId: string;
    firstRevision: number;
    createdAt: string;
    now: number;
    expiresAt?: number | undefined;
  },
  events: NewEventWithId[],
): Promise<Item[]> {
  const { streamType, streamId, firstRevision, createdAt, now, expiresAt } = stream;
  return Promise.all(
    events.map(async (event, index) => {
      const revision = firstRevision + index;
      const payload =
        event.payload instanceof RawJson
          ? await staged.stage(event.payload, { streamId, revision, eventId: event.eventId, now })
          : event.payload;
      return eventItem(streamType, streamId, revision, { ...event, payload }, createdAt, expiresAt);
    }),
  );
}

/**
 * The item an event will be, for the size limits: a payload over the threshold as the reference it will become
 * (DynamoDB's 400 KB then applies to the rest of the event).
 */
export function itemForLimits(
  payloads: LargePayloads | undefined,
  streamType: string,
  streamId: string,
  event: NewEventWithId,
): Item {
  const large =
    payloads !== undefined &&
    event.payload instanceof RawJson &&
    Buffer.byteLength(event.payload.text) > payloads.thresholdBytes;
  const payload = large
    ? new StoredPayload(payloadKey(0, streamId, 1, event.eventId), 0, "0".repeat(64))
    : event.payload;
  return eventItem(streamType, streamId, 1, { ...event, payload }, "0000-00-00T00:00:00.000Z");
}

/**
 * A page of events that fits an answer: events in order while their payloads and metadata fit `budgetBytes` (at
 * least one), stored payloads read in while they fit and linked by URL after. `cut` says the page ends early.
 */
export async function fitPage<Event extends { payload: RawJson | StoredPayload; metadata?: RawJson | undefined }>(
  payloads: LargePayloads | undefined,
  events: Event[],
  budgetBytes = answerPayloadBudgetBytes,
  weight = 1,
): Promise<{ events: Event[]; cut: boolean }> {
  let used = 0;
  let count = 0;
  for (const event of events) {
    const inline = event.payload instanceof RawJson ? Buffer.byteLength(event.payload.text) : urlAllowanceBytes;
    const bytes = (inline + Buffer.byteLength(event.metadata?.text ?? "")) * weight;
    if (count > 0 && used + bytes > budgetBytes) break;
    used += bytes;
    count++;
  }
  const kept = events.slice(0, count);
  return { events: await resolvePayloads(payloads, kept, budgetBytes - used, weight), cut: count < events.length };
}

/** What a stored payload's URL, size and hash take in an answer, at most. */
const urlAllowanceBytes = 2048;

/**
 * Stored payloads in order: their text while `budgetBytes` lasts (each counted `weight` times: a payload sent as a
 * JSON string is escaped), then a pre-signed URL.
 */
export async function resolvePayloads<Event extends { payload: RawJson | StoredPayload }>(
  payloads: LargePayloads | undefined,
  events: Event[],
  budgetBytes = answerPayloadBudgetBytes,
  weight = 1,
): Promise<Event[]> {
  let left = budgetBytes;
  const resolved: Event[] = [];
  for (const event of events) {
    const { payload } = event;
    if (payload instanceof RawJson) {
      resolved.push(event);
      continue;
    }
    const objects = required(payloads).objects;
    if (payload.size * weight <= left) {
      const body = await objects.get(payload.key);
      if (!body) throw new Error(`the payload object ${payload.key} of an event is missing`);
      left -= payload.size * weight;
      resolved.push({ ...event, payload: new RawJson(body.toString("utf8")) });
    } else {
      const url = await objects.readUrl(payload.key, presignedUrlSeconds);
      resolved.push({ ...event, payload: new StoredPayload(payload.key, payload.size, payload.sha256, url) });
    }
  }
  return resolved;
}

export function uploadKey(uploadId: string): string {
  return `uploads/${uploadId}`;
}

/**
 * `payloads/<hour>/<streamId>/<revision>/<eventId>.<attempt>`: the hour first, so that the sweep lists one hour at a
 * time; a part of its own per attempt, so that an attempt that loses (a retry of a committed append, a process with a
 * stale head) deletes its own object, never the one the committed event names.
 */
export function payloadKey(now: number, streamId: string, revision: number, eventId: string): string {
  return `${payloadHourPrefix(now)}${streamId}/${revision}/${eventId}.${randomBytes(4).toString("hex")}`;
}

export function payloadHourPrefix(time: number): string {
  return `payloads/${new Date(time).toISOString().slice(0, 13)}/`;
}

/** The stream, revision and eventId a payload key names; undefined for keys of another shape. */
export function payloadKeyParts(key: string): { streamId: string; revision: number; eventId: string } | undefined {
  const match = /^payloads\/[^/]+\/([^/]+)\/(\d+)\/([^/.]+)\.[0-9a-f]+$/.exec(key);
  if (!match) return undefined;
  return { streamId: match[1] as string, revision: Number(match[2]), eventId: match[3] as string };
}

function required(payloads: LargePayloads | undefined): LargePayloads {
  if (!payloads) {
    throw new InvalidInputError("this store keeps no large payloads (it was given no bucket)", {
      upload: ["uploads need the store's payload bucket, which this deployment does not have"],
    });
  }
  return payloads;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
