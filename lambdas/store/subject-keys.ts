/**
 * The data keys of subjects (SPEC section 13): made on a subject's first personal data, kept wrapped in the subject
 * keys table (subject-key-items.ts), erased by `DELETE /subjects/{subject}`.
 *
 * Plaintext keys are cached per process for `cacheMs` (5 minutes) and at most `cacheSize` subjects (least recently
 * used first out), so that a page of one customer's events costs one unwrap, not one per event. An erasure evicts at
 * once in the process that erases; another warm process may decrypt until its entry expires: that, at most
 * `cacheMs`, is how long an erased subject stays readable anywhere (docs/data-model.md, "Personal data").
 */
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { derivedUuid } from "../shared/uuid.ts";
import { type CapacityListener, errorName, StoreTable } from "./dynamo.ts";
import { SubjectErasedError } from "./errors.ts";
import type { KeyWrapper } from "./key-wrapping.ts";
import type { Operation, RecordedEvent } from "./model.ts";
import { erasedPlaceholder, unsealPersonalData } from "./personal-data.ts";
import { RawJson } from "./raw-json.ts";
import {
  eraseSubjectKey,
  getSubjectKey,
  putNewSubjectKey,
  type SubjectKeyItem,
  subjectKeyOf,
} from "./subject-key-items.ts";

export const defaultKeyCacheMs = 5 * 60 * 1000;
export const defaultKeyCacheSize = 1000;

export interface SubjectKeysOptions {
  /** The subject keys table. */
  tableName: string;
  wrapper: KeyWrapper;
  /** @default 5 minutes */
  cacheMs?: number | undefined;
  /** @default 1,000 subjects */
  cacheSize?: number | undefined;
}

/** The record of a subject's erasure, as `DELETE /subjects/{subject}` answers it. */
export interface Erasure {
  subject: string;
  erasedAt: string;
  erasedBy: string;
}

type CachedKey = { key: Buffer | undefined; until: number };

export class SubjectKeys {
  private readonly table: StoreTable;
  private readonly cache = new Map<string, CachedKey>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly cacheMs: number;
  private readonly cacheSize: number;

  constructor(
    client: StoreTable["client"],
    private readonly options: SubjectKeysOptions,
    private readonly now: () => number,
    onConsumedCapacity?: CapacityListener,
  ) {
    this.table = new StoreTable(client, options.tableName, onConsumedCapacity);
    this.cacheMs = options.cacheMs ?? defaultKeyCacheMs;
    this.cacheSize = options.cacheSize ?? defaultKeyCacheSize;
  }

  /** The subject's data key for new personal data; made on its first use. Throws SubjectErasedError once erased. */
  keyForAppend(subject: string): Promise<Buffer> {
    const cached = this.cached(subject);
    if (cached) return Promise.resolve(cached);
    return this.once(`append:${subject}`, () => this.loadForAppend(subject));
  }

  /** One lookup per subject at a time: the events of one append (or one page) share it. */
  private once<Value>(name: string, load: () => Promise<Value>): Promise<Value> {
    const running = this.pending.get(name) as Promise<Value> | undefined;
    if (running) return running;
    const started = load().finally(() => this.pending.delete(name));
    this.pending.set(name, started);
    return started;
  }

  private async loadForAppend(subject: string): Promise<Buffer> {
    let stored = await this.read(subject);
    if (!stored) {
      const { key, wrapped } = await this.options.wrapper.newKey(subject);
      try {
        await this.table.send("subjectKey", (client) =>
          client.send(
            new PutCommand(
              putNewSubjectKey(this.table.tableName, subject, wrapped, new Date(this.now()).toISOString()),
            ),
          ),
        );
        this.remember(subject, key);
        return key;
      } catch (error) {
        if (errorName(error) !== "ConditionalCheckFailedException") throw error;
        // A racing append made the subject's key first (or it was erased meanwhile): use what won.
        stored = await this.read(subject);
      }
    }
    if (stored?.state !== "live") {
      throw new SubjectErasedError(subject, stored?.state === "erased" ? stored.erasedAt : "an unknown time");
    }
    return this.unwrapped(subject, stored.wrappedKey);
  }

  /** The subject's data key for reading; undefined once erased (or for a subject that never had one). */
  keyForRead(subject: string): Promise<Buffer | undefined> {
    const entry = this.cache.get(subject);
    if (entry && entry.until > this.now()) return Promise.resolve(this.cached(subject));
    return this.once(`read:${subject}`, async () => {
      const stored = await this.read(subject);
      if (stored?.state !== "live") {
        this.remember(subject, undefined);
        return undefined;
      }
      return this.unwrapped(subject, stored.wrappedKey);
    });
  }

  /**
   * Erases the subject's key: the wrapped key is removed, a tombstone stays. Idempotent: erasing again answers the
   * first erasure's record. A subject that never had a key gets the tombstone all the same.
   */
  async erase(subject: string, erasedBy: string): Promise<Erasure> {
    const output = await this.table.send("subjectKey", (client) =>
      client.send(
        new UpdateCommand(eraseSubjectKey(this.table.tableName, subject, new Date(this.now()).toISOString(), erasedBy)),
      ),
    );
    this.remember(subject, undefined);
    const stored = subjectKeyOf(output.Attributes) as Extract<SubjectKeyItem, { state: "erased" }>;
    return { subject, erasedAt: stored.erasedAt, erasedBy: stored.erasedBy };
  }

  /**
   * Events as a reader sees them: personal values decrypted while the subject's key lives; after its erasure the
   * placeholders stay and the event says `erased: true`. Never ciphertext, never an error for an erased subject.
   */
  async open<Event extends RecordedEvent>(events: Event[]): Promise<Event[]> {
    const subjects = [...new Set(events.flatMap((event) => (event.sealed ? [event.subject as string] : [])))];
    if (subjects.length === 0) return events;
    const keys = new Map(
      await Promise.all(subjects.map(async (subject) => [subject, await this.keyForRead(subject)] as const)),
    );
    return events.map((event) => openEvent(event, event.subject ? keys.get(event.subject) : undefined));
  }

  private async read(subject: string): Promise<SubjectKeyItem | undefined> {
    const output = await this.table.send("subjectKey", (client) =>
      client.send(new GetCommand(getSubjectKey(this.table.tableName, subject))),
    );
    return subjectKeyOf(output.Item);
  }

  private async unwrapped(subject: string, wrapped: Buffer): Promise<Buffer> {
    const key = await this.options.wrapper.unwrap(subject, wrapped);
    this.remember(subject, key);
    return key;
  }

  private cached(subject: string): Buffer | undefined {
    const entry = this.cache.get(subject);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.cache.delete(subject);
      return undefined;
    }
    // Most recently used last: the Map's order is the eviction order.
    this.cache.delete(subject);
    this.cache.set(subject, entry);
    return entry.key;
  }

  private remember(subject: string, key: Buffer | undefined): void {
    this.cache.delete(subject);
    this.cache.set(subject, { key, until: this.now() + this.cacheMs });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }
}

/** One event opened with its subject's key, or (no key: erased) marked erased with its placeholders. */
export function openEvent<Event extends RecordedEvent>(event: Event, key: Buffer | undefined): Event {
  const { sealed, ...rest } = event;
  if (!sealed) return event;
  if (!key || !(event.payload instanceof RawJson)) return { ...rest, erased: true } as Event;
  const opened = unsealPersonalData(
    { payload: event.payload, metadata: event.metadata, eventId: event.eventId },
    { subject: event.subject as string, pointers: event.personalData ?? [], sealed },
    key,
  );
  return { ...rest, payload: opened.payload, metadata: opened.metadata } as Event;
}

/** What an event opened without a key store reads as: erased (a deployment without subject keys cannot decrypt). */
export function openWithoutKeys<Event extends RecordedEvent>(events: Event[]): Event[] {
  return events.map((event) => openEvent(event, undefined));
}

export { erasedPlaceholder };

/**
 * The operation record of an erasure (SPEC section 13: every erasure is recorded and listed): created succeeded, its
 * id derived from the subject, so that erasing again finds the same record instead of adding one.
 */
export function erasureOperation(erasure: Erasure): Operation {
  return {
    id: derivedUuid(`erasure:${erasure.subject}`),
    kind: "erasure",
    state: "succeeded",
    createdAt: erasure.erasedAt,
    updatedAt: erasure.erasedAt,
    request: { subject: erasure.subject },
    progress: { streams: 0, events: 0 },
    result: { erasedAt: erasure.erasedAt },
    requestedBy: erasure.erasedBy,
    version: 1,
  };
}

/** Opens events with `subjects`, or, in a store given no subject keys, shows their personal values as erased. */
export function openPersonalData<Event extends RecordedEvent>(
  subjects: SubjectKeys | undefined,
  events: Event[],
): Promise<Event[]> {
  return subjects ? subjects.open(events) : Promise.resolve(openWithoutKeys(events));
}

/** The members of an opened event that tell a reader about its personal data, to copy into what it becomes. */
export function personalMarks(event: RecordedEvent): Pick<RecordedEvent, "subject" | "personalData" | "erased"> {
  if (event.subject === undefined) return {};
  return { subject: event.subject, personalData: event.personalData, ...(event.erased ? { erased: true } : {}) };
}
