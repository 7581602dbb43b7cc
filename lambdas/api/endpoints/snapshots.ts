/** Snapshots of a stream's state (SPEC section 12): put one at a revision, read the latest of a schema. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { readInput } from "#api/input.ts";
import type { JsonNode } from "#api/json-body.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
import { LatestSnapshotQuery, PutSnapshotBody, SnapshotPath } from "#api/snapshots-schema.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** PUT /streams/{type}/{id}/snapshots {"revision", "schema", "state"}: 201 stored, 200 the same revision again. */
export async function putSnapshot(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, body } = readInput(request, { path: SnapshotPath, body: PutSnapshotBody });
  const { revision, schema, subject } = body.value;
  // The schema requires it: the state as the exact text the client sent.
  const state = body.raw(body.root.members?.get("state") as JsonNode);
  const result = await store.putSnapshot(path.streamType, path.streamId, { revision, schema, state, subject });
  if (result.kind === "superseded") {
    throw new HttpProblem(
      problemTypes.snapshotSuperseded,
      `a newer snapshot of schema ${schema} is stored, at revision ${result.stored.revision}; nothing was written`,
      { members: { snapshotRevision: result.stored.revision } },
    );
  }
  return json(result.created ? 201 : 200, { snapshot: result.snapshot });
}

/** GET /streams/{type}/{id}/snapshots/latest?schema=S: the latest snapshot of the schema, with its state. */
export async function getLatestSnapshot(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, query } = readInput(request, { path: SnapshotPath, query: LatestSnapshotQuery });
  const snapshot = await store.latestSnapshot(path.streamType, path.streamId, query.schema);
  if (!snapshot) {
    throw new HttpProblem(
      problemTypes.snapshotNotFound,
      `stream ${path.streamId} of type ${path.streamType} has no snapshot of schema ${query.schema}: load it from its events`,
    );
  }
  return json(200, { snapshot });
}
