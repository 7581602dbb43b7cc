/**
 * A stream's head: the revision, type and time of its newest event. The store reads it strongly consistent
 * before most appends and for details, and remembers the newest head it has seen of recently used streams.
 *
 * A remembered head is always true — events are immutable, and a delete or truncation only hides them, so "revision
 * n exists, with this type and time" stays true of the revision sequence — but it may be stale: others may have
 * appended since (or deleted: a delete's marker takes the next revision). That is enough for the append that
 * expects exactly revision n: it may skip its read and let the conditional put of n+1 decide. A stale entry
 * then only turns the put into the conflict the append would have met anyway. Reads never answer from memory:
 * they must see every acknowledged append. Only the head is kept (no payloads), for a bounded number of streams.
 */
import type { StoreOperation, StoreTable } from "./dynamo.ts";
import { type Item, queryHead, recordedEvent } from "./items.ts";
import { type MarkerKind, markerOf } from "./lifecycle-items.ts";
import { tableDefinition } from "./table.ts";

/** What the store remembers of a stream. */
export interface KnownHead {
  revision: number;
  streamType: string;
  /** Time of the newest event, RFC 3339 UTC with milliseconds. */
  updatedAt: string;
}

/**
 * A head as read from the table: also the newest event's id, which tells a retried append by its last event. The
 * newest item may be a delete's marker (lifecycle-items.ts): then `marker` says which, and `eventId` is empty.
 */
export interface StreamHead extends KnownHead {
  eventId: string;
  marker?: MarkerKind | undefined;
}

const sk = tableDefinition.sortKey.name;

/** How many streams' heads a process remembers; the least recently remembered are forgotten first. */
const defaultCapacity = 10_000;

export class StreamHeads {
  private readonly heads = new Map<string, KnownHead>();

  constructor(
    private readonly table: StoreTable,
    private readonly capacity = defaultCapacity,
  ) {}

  /** The stream's newest event, strongly consistent; undefined when the stream has no events. */
  async read(streamId: string, operation: StoreOperation): Promise<StreamHead | undefined> {
    const { items } = await this.table.queryItems(operation, queryHead(this.table.tableName, streamId));
    return this.rememberNewest(streamId, items[0]);
  }

  /** The head that `item`, the stream's newest event read just now, makes (remembered); undefined for none. */
  rememberNewest(streamId: string, item: Item | undefined): StreamHead | undefined {
    if (!item) return undefined;
    const marker = markerOf(item);
    // A marker is not remembered: an append that skipped its read on a remembered head must never write past one.
    if (marker) {
      const revision = Number(item[sk]);
      return { revision, streamType: String(item.streamType), updatedAt: String(item.createdAt), eventId: "", marker };
    }
    const newest = recordedEvent(item);
    const head = {
      revision: newest.revision,
      streamType: newest.streamType,
      updatedAt: newest.createdAt,
      eventId: newest.eventId,
    };
    this.remember(streamId, head);
    return head;
  }

  known(streamId: string): KnownHead | undefined {
    return this.heads.get(streamId);
  }

  /** Keeps the newer of what is known and `head`. */
  remember(streamId: string, head: KnownHead): void {
    const known = this.heads.get(streamId);
    if (known && known.revision >= head.revision) return;
    this.heads.delete(streamId);
    // Only the head's fields: callers may pass a whole event, whose payload must not stay in memory.
    this.heads.set(streamId, { revision: head.revision, streamType: head.streamType, updatedAt: head.updatedAt });
    if (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next().value as string;
      this.heads.delete(oldest);
    }
  }
}
