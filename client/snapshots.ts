/**
 * Snapshots from the client's side (SPEC section 12): put a stream's state at a revision, read the latest one, and
 * `loadState`, which folds the events after the latest snapshot into its state instead of every event, and can
 * keep the snapshot fresh as it goes.
 */
import type { CallOptions } from "./common.ts";
import { NotFound, problemTypes, SnapshotSuperseded, StreamNotFound } from "./errors.ts";
import type { NewSnapshot, Snapshot, SnapshotInfo } from "./snapshot-types.ts";
import { readEvents } from "./streams.ts";
import type { Transport } from "./transport.ts";
import type { RecordedEvent } from "./types.ts";

/** What `loadState` needs: the reducer, its version, and when to write a new snapshot. */
export interface LoadStateOptions<State> extends CallOptions {
  /**
   * The reducer's version (1 to 128 letters, digits, '.', '_' or '-'). Change it whenever `reduce` or the state's
   * shape changes: snapshots of another schema are not used.
   */
  schema: string;
  /** The state before the first event; used as is (not copied), so `reduce` should return new states. */
  initial: State;
  reduce(state: State, event: RecordedEvent): State;
  /**
   * Puts a new snapshot at the loaded revision when at least this many events were folded after the one used (or
   * from the start). Best effort: a newer snapshot stored meanwhile is fine. Default: never.
   */
  snapshotEvery?: number;
  /** Events fetched per request, 1 to 1000. Default 1000. */
  pageSize?: number;
}

export interface LoadedState<State> {
  state: State;
  /** The stream's revision the state is of: what the next append expects (0: the stream does not exist). */
  revision: number;
  /** The revision of the snapshot the load started from; undefined when it folded every event. */
  snapshotRevision: number | undefined;
  /** How many events were folded. */
  eventsFolded: number;
  /** The snapshot `snapshotEvery` put, if it put one. */
  snapshotPut: SnapshotInfo | undefined;
}

export async function putSnapshot(
  transport: Transport,
  streamType: string,
  streamId: string,
  snapshot: NewSnapshot,
  options: CallOptions = {},
): Promise<SnapshotInfo> {
  const path = ["streams", streamType, streamId, "snapshots"];
  const { revision, schema, state, subject } = snapshot;
  const answer = await transport.call<{ snapshot: SnapshotInfo }>("PUT", path, {
    ...options,
    body: { revision, schema, state, ...(subject !== undefined ? { subject } : {}) },
  });
  return answer.snapshot;
}

export async function getLatestSnapshot<State = unknown>(
  transport: Transport,
  streamType: string,
  streamId: string,
  schema: string,
  options: CallOptions = {},
): Promise<Snapshot<State> | undefined> {
  const path = ["streams", streamType, streamId, "snapshots", "latest"];
  try {
    const answer = await transport.call<{ snapshot: Snapshot<State> }>("GET", path, { ...options, query: { schema } });
    return answer.snapshot;
  } catch (error) {
    if (error instanceof NotFound && error.problem.type === problemTypes.snapshotNotFound) return undefined;
    throw error;
  }
}

export async function loadState<State>(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: LoadStateOptions<State>,
): Promise<LoadedState<State>> {
  const { signal, schema } = options;
  const snapshot = await getLatestSnapshot<State>(transport, streamType, streamId, schema, { signal });
  let state = snapshot ? snapshot.state : options.initial;
  let revision = snapshot?.revision ?? 0;
  let eventsFolded = 0;
  const events = readEvents(transport, streamType, streamId, {
    fromRevision: revision + 1,
    pageSize: options.pageSize ?? 1000,
    signal,
  });
  try {
    for await (const event of events) {
      state = options.reduce(state, event);
      revision = event.revision;
      eventsFolded++;
    }
  } catch (error) {
    // No snapshot and no stream: the state of a stream yet to be created.
    if (!(error instanceof StreamNotFound) || snapshot) throw error;
  }
  let snapshotPut: SnapshotInfo | undefined;
  const every = options.snapshotEvery;
  if (every !== undefined && eventsFolded > 0 && eventsFolded >= every) {
    try {
      snapshotPut = await putSnapshot(transport, streamType, streamId, { revision, schema, state }, { signal });
    } catch (error) {
      if (!(error instanceof SnapshotSuperseded)) throw error;
    }
  }
  return { state, revision, snapshotRevision: snapshot?.revision, eventsFolded, snapshotPut };
}
