/**
 * How a stream is read: its events forward or backward, and its details (the head). Both strongly consistent:
 * a reader sees every acknowledged append.
 */
import type { StoreTable } from "./dynamo.ts";
import { StreamNotFoundError } from "./errors.ts";
import type { StreamHeads } from "./heads.ts";
import { maxRevision, queryEvents, recordedEvent } from "./items.ts";
import { fitPage, type LargePayloads } from "./large-payloads.ts";
import type { EventPage, ReadEventsOptions, Stream } from "./model.ts";
import { openPersonalData, type SubjectKeys } from "./subject-keys.ts";

export interface ReadContext {
  table: StoreTable;
  heads: StreamHeads;
  payloads?: LargePayloads | undefined;
  /** The subjects' data keys, which open events' personal data (subject-keys.ts). */
  subjects?: SubjectKeys | undefined;
}

/** Events of a stream in revision order (forward) or newest first (backward). */
export async function readEvents(
  context: ReadContext,
  streamType: string,
  streamId: string,
  options: ReadEventsOptions,
): Promise<EventPage> {
  const forward = options.direction === "forward";
  const range = forward
    ? { from: (options.afterRevision ?? 0) + 1, to: maxRevision }
    : { from: 1, to: options.fromRevision ?? maxRevision };
  // One item more than the page tells whether another page exists without a second round trip.
  // A range past the largest revision (after-revision at the very top) is empty without asking DynamoDB.
  const { items, lastEvaluatedKey } =
    range.from <= range.to
      ? await context.table.queryItems(
          "read",
          queryEvents(context.table.tableName, streamId, range, forward, options.limit + 1),
        )
      : { items: [], lastEvaluatedKey: undefined };
  if (items.length === 0) {
    const head = await context.heads.read(streamId, "read");
    if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    // Nothing after the position asked for: an empty last page that keeps the caller's position.
    return { events: [], hasMore: false, lastEvaluatedRevision: forward ? range.from - 1 : 0 };
  }
  if (items[0]?.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  // A page ends early rather than pass the function URL's 6 MB (payloads sent as strings are escaped: counted twice).
  const weight = options.escapedPayloads ? 2 : 1;
  const read = await openPersonalData(context.subjects, items.slice(0, options.limit).map(recordedEvent));
  const fitted = options.payloadReferences
    ? { events: read, cut: false }
    : await fitPage(context.payloads, read, undefined, weight);
  const page = fitted.events;
  const hasMore = fitted.cut || items.length > options.limit || lastEvaluatedKey !== undefined;
  // Reading to the end is how a writer loads a stream before appending to it: remember where it ends.
  const sawNewest = forward ? !hasMore : options.fromRevision === undefined;
  const newest = forward ? page.at(-1) : page[0];
  if (sawNewest && newest) {
    context.heads.remember(streamId, { revision: newest.revision, streamType, updatedAt: newest.createdAt });
  }
  return { events: page, hasMore, lastEvaluatedRevision: page.at(-1)?.revision ?? 0 };
}

/** The stream's type, revision and time of its last event. */
export async function streamDetails(context: ReadContext, streamType: string, streamId: string): Promise<Stream> {
  const head = await context.heads.read(streamId, "details");
  if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  return { streamId, streamType, revision: head.revision, updatedAt: head.updatedAt };
}
