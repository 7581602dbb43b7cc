/** Snapshots' slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 12). */
import { always, badInput, busy, json, notJson, parameters, problem, streamDeleted } from "./openapi-parts.ts";
import {
  LatestSnapshotQuery,
  PutSnapshotBody,
  SnapshotAnswer,
  SnapshotInfoAnswer,
  SnapshotPath,
} from "./snapshots-schema.ts";

export const snapshotsPaths = {
  "/streams/{streamType}/{streamId}/snapshots": {
    put: {
      operationId: "putSnapshot",
      summary: "Store a snapshot of the stream's state at a revision it has",
      description:
        "Keeps one snapshot per stream and schema, the latest: an older one never replaces a newer one. A state " +
        "larger than the store's payload threshold is kept in its bucket. A deleted stream takes none (404 after a " +
        "soft delete, 410 after a hard one), nor does a revision below the one before a truncation's or delete's " +
        "`hiddenBelow` (409): a snapshot is served only while every event after it is readable, so the snapshot " +
        "kept at truncation (revision truncateBefore − 1 or later) still is. Costs 1 WCU per KB of state and " +
        "strongly consistent reads of the stream's settings and (unless this process knows it) head: 1–2 RRU.",
      parameters: parameters(SnapshotPath, "path"),
      requestBody: { required: true, ...json(PutSnapshotBody) },
      responses: {
        "201": { description: "stored", ...json(SnapshotInfoAnswer) },
        "200": {
          description: "a snapshot of this revision and schema was stored already; put again",
          ...json(SnapshotInfoAnswer),
        },
        ...badInput,
        "404": problem(
          "no such stream, the stream has another type than the path names, or it was deleted (soft delete)",
        ),
        "409": problem(
          "nothing was written: the stream has no such revision yet, or it is hidden by a truncation or delete " +
            "(wrong-expected-revision, currentRevision is the stream's), or a newer snapshot of the schema is " +
            "stored (snapshot-superseded, snapshotRevision is its)",
        ),
        ...streamDeleted,
        "413": problem(
          "a state over DynamoDB's 400 KB item in a store without a payload bucket, or a request over 6 MB: see limitBytes",
        ),
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
  "/streams/{streamType}/{streamId}/snapshots/latest": {
    get: {
      operationId: "getLatestSnapshot",
      summary: "The latest snapshot of the stream for a schema, with its state (strongly consistent)",
      description:
        "Reads the snapshot and the stream's settings (SPEC section 13), 1 RRU each. A snapshot is served while " +
        "every event after it is readable: one at or above a truncation's revision − 1 is; an older one, or one " +
        "of a soft-deleted stream (also when the stream was appended to again after the delete), reads as none.",
      parameters: [...parameters(SnapshotPath, "path"), ...parameters(LatestSnapshotQuery, "query")],
      responses: {
        "200": { description: "the snapshot; load the events after its revision", ...json(SnapshotAnswer) },
        ...badInput,
        "404": problem(
          "snapshot-not-found: no snapshot of this schema (also when the stream does not exist, has another type, " +
            "or was deleted; or the snapshot is older than a truncation)",
        ),
        ...streamDeleted,
        ...busy,
        ...always,
      },
    },
  },
};
