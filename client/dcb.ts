/**
 * The Dynamic Consistency Boundary from the client's side (dcb.events, SPEC section 11): read the events a decision
 * depends on by a query of types and tags, and append new ones on the condition that none of those came since.
 * `decide` is that loop, with the retry a lost race needs: read, fold, decide, append, and read again on conflict.
 */
import type { CallOptions } from "./common.ts";
import type {
  DcbAppendCondition,
  DcbAppendResult,
  DcbPage,
  DcbQuery,
  NewDcbEvent,
  SequencedEvent,
} from "./consistency-types.ts";
import { AppendConditionFailed } from "./errors.ts";
import { eventsToSend, followPayloadUrls } from "./large-payloads.ts";
import type { Transport } from "./transport.ts";

export interface DcbReadOptions extends CallOptions {
  /** Only events after this position (default 0: all). */
  after?: number;
  /** Events per page, 1 to 1000 (default 1000). */
  limit?: number;
}

export interface DcbReadAllOptions extends CallOptions {
  after?: number;
  /** Events per request, 1 to 1000 (default 1000). */
  pageSize?: number;
}

/** Every event matching a query, and the condition that decides on exactly them. */
export interface DcbReadAllResult {
  events: SequencedEvent[];
  appendCondition: DcbAppendCondition;
}

/** What `decide` needs: the events a decision depends on, how they make its state, and the decision. */
export interface DcbDecision<State> {
  query: DcbQuery;
  /** The state before any event; used again on every attempt, so `fold` must return a new state, not change it. */
  initial: State;
  fold(state: State, event: SequencedEvent): State;
  /** The events to append given the state; none: nothing to do. */
  decide(state: State): NewDcbEvent[] | Promise<NewDcbEvent[]>;
  /** Attempts (a read, a decision, an append) before a lost race is given up. Default 10. */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface DcbDecided<State> {
  /** The state the decision was made on. */
  state: State;
  /** The append, or undefined when the decision was to append nothing. */
  appended: DcbAppendResult | undefined;
}

/** `client.dcb`: the DCB endpoints and the decide loop built on them. */
export class DcbClient {
  readonly #transport: Transport;

  /** @internal Made by `EventStoreClient`, which shares its transport. */
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * One page of the events matching `query` after `after`, in position order (`POST /dcb/read`), strongly
   * consistent, and the `appendCondition` that decides on exactly them. `readAll` pages for you.
   */
  async read(query: DcbQuery, options: DcbReadOptions = {}): Promise<DcbPage> {
    const body = { query, after: options.after, limit: options.limit };
    const answer = await this.#transport.call<{ dcbPage: DcbPage }>("POST", ["dcb", "read"], {
      signal: options.signal,
      body,
    });
    const page = answer.dcbPage;
    return { ...page, events: await followPayloadUrls(this.#transport, page.events, options.signal) };
  }

  /** Every event matching `query` after `after`, page by page, and the last page's `appendCondition`. */
  async readAll(query: DcbQuery, options: DcbReadAllOptions = {}): Promise<DcbReadAllResult> {
    const events: SequencedEvent[] = [];
    let after = options.after ?? 0;
    for (;;) {
      const page = await this.read(query, { after, limit: options.pageSize, signal: options.signal });
      events.push(...page.events);
      if (!page.hasMore) return { events, appendCondition: page.appendCondition };
      after = page.appendCondition.after;
    }
  }

  /**
   * Appends tagged events atomically (`POST /dcb/append`), if no event matching `condition.failIfEventsMatch` was
   * appended after `condition.after`; without a condition, unconditionally.
   *
   * Safe to retry: events without an eventId get one before the first attempt, and a repeated append answers the
   * original's positions.
   *
   * @throws AppendConditionFailed (with `conflictingPosition`) when a matching event came; nothing was written
   */
  async append(
    events: NewDcbEvent[],
    condition?: DcbAppendCondition,
    options: CallOptions = {},
  ): Promise<DcbAppendResult> {
    const body = { events: await eventsToSend(this.#transport, events, options.signal), condition };
    return this.#transport.call("POST", ["dcb", "append"], { signal: options.signal, body });
  }

  /**
   * Makes a decision consistent with the events it depends on: reads every event matching `query`, folds them into
   * a state, asks `decide` for the events to append, and appends them on the read's condition. When another writer
   * got there first (AppendConditionFailed), it reads the events that came since, folds them and decides again.
   *
   * @throws AppendConditionFailed when every one of `maxAttempts` attempts lost its race
   * @example
   * const { appended } = await client.dcb.decide({
   *   query: { items: [{ types: ["StudentSubscribed"], tags: [`course:${id}`] }] },
   *   initial: 0,
   *   fold: (count) => count + 1,
   *   decide: (count) => (count < 3 ? [{ eventType: "StudentSubscribed", payload: {}, tags: [`course:${id}`] }] : []),
   * });
   */
  async decide<State>(decision: DcbDecision<State>): Promise<DcbDecided<State>> {
    const maxAttempts = decision.maxAttempts ?? 10;
    const signal = decision.signal;
    let state = decision.initial;
    let after = 0;
    for (let attempt = 1; ; attempt++) {
      // The condition vouches for every matching event up to its position: only what came after is read again.
      const read = await this.readAll(decision.query, { after, signal });
      for (const event of read.events) state = decision.fold(state, event);
      after = read.appendCondition.after;
      const events = await decision.decide(state);
      if (events.length === 0) return { state, appended: undefined };
      try {
        return { state, appended: await this.append(events, read.appendCondition, { signal }) };
      } catch (error) {
        if (!(error instanceof AppendConditionFailed) || attempt >= maxAttempts) throw error;
      }
    }
  }
}
