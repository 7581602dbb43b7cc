/**
 * The newest event this process has seen of recently used streams. An entry is always true — events are
 * immutable and never deleted, so "revision n exists, with this type and time" stays true — but it may be stale:
 * others may have appended since. That is enough for the append that expects exactly revision n: it may skip its
 * read and let the conditional put of n+1 decide. A stale entry then only turns the put into the conflict the
 * append would have met anyway. Reads never answer from here: they must see every acknowledged append.
 */
export interface StreamHead {
  revision: number;
  streamType: string;
  createdAt: string;
  eventId: string;
}

export class KnownHeads {
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly capacity = 10_000) {}

  get(streamId: string): StreamHead | undefined {
    return this.heads.get(streamId);
  }

  /** Keeps the newer of what is known and `head`; the least recently remembered streams are forgotten first. */
  remember(streamId: string, head: StreamHead): void {
    const known = this.heads.get(streamId);
    if (known && known.revision >= head.revision) return;
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next().value as string;
      this.heads.delete(oldest);
    }
  }
}
