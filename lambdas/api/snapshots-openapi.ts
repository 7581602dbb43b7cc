/** Snapshots' slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 12). */
import { always, badInput, busy, json, notJson, parameters, problem } from "./openapi-parts.ts";
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
        "larger than the store's payload threshold is kept in its bucket. Costs 1 WCU per KB of state and a " +
        "strongly consistent read of the stream's head.",
      parameters: parameters(SnapshotPath, "path"),
      requestBody: { required: true, ...json(PutSnapshotBody) },
      responses: {
        "201": { description: "stored", ...json(SnapshotInfoAnswer) },
        "200": {
          description: "a snapshot of this revision and schema was stored already; put again",
          ...json(SnapshotInfoAnswer),
        },
        ...badInput,
        "404": problem("no such stream, or the stream has another type than the path names"),
        "409": problem(
          "nothing was written: the stream has no such revision yet (wrong-expected-revision, currentRevision is " +
            "the stream's), or a newer snapshot of the schema is stored (snapshot-superseded, snapshotRevision is its)",
        ),
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
      parameters: [...parameters(SnapshotPath, "path"), ...parameters(LatestSnapshotQuery, "query")],
      responses: {
        "200": { description: "the snapshot; load the events after its revision", ...json(SnapshotAnswer) },
        ...badInput,
        "404": problem(
          "snapshot-not-found: no snapshot of this schema (also when the stream does not exist, or has another type)",
        ),
        ...busy,
        ...always,
      },
    },
  },
};
