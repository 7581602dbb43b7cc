/** The types of snapshots (SPEC section 12). Checked against the API's schemas by test/client/types.test.ts. */

/** A snapshot to put: a reducer's state of a stream at a revision the stream has. */
export interface NewSnapshot<State = unknown> {
  /** The stream's revision the state was folded up to. */
  revision: number;
  /** The reducer's version: 1 to 128 letters, digits, '.', '_' or '-'. Loads see only snapshots of their schema. */
  schema: string;
  /** Any JSON value; read back exactly as given. */
  state: State;
  /** The data subject whose personal data the state is: sealed whole, read as `"[erased]"` once it is erased. */
  subject?: string;
}

/** A snapshot as stored, without its state: what `putSnapshot` answers. */
export interface SnapshotInfo {
  streamId: string;
  streamType: string;
  revision: number;
  schema: string;
  /** RFC 3339 UTC time of the put. */
  createdAt: string;
  /** Bytes of the state's JSON text. */
  stateSize: number;
  /** The data subject whose personal data the state is. */
  subject?: string;
}

/** The latest snapshot of a stream for a schema, with its state (`getLatestSnapshot`). */
export interface Snapshot<State = unknown> extends SnapshotInfo {
  state: State;
  /** True once the snapshot's subject was erased: `state` is then the string `"[erased]"`. */
  erased?: boolean;
}
