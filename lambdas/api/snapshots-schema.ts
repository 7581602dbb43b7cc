/**
 * The input rules and answers of snapshots (SPEC section 12): `PUT /streams/{type}/{id}/snapshots` and `GET
 * …/snapshots/latest?schema=S`. TypeBox schemas like schema.ts's, whose building blocks they use; openapi.ts and
 * snapshots-openapi.ts publish them.
 */
import * as Type from "@sinclair/typebox/type";
import { streamTypeRule } from "#shared/stream-type.ts";
import { maxWholeNumber, Revision, requestBody, StreamType, Subject, Time, Uuid, wholeNumber } from "./schema.ts";

/** The reducer's version, by the stream type's rule (no '#' or '/': it is part of a key and of an object key). */
export const SnapshotSchemaName = Type.String({
  pattern: streamTypeRule,
  description:
    "names the reducer (its version) that made the state: 1 to 128 letters, digits, '.', '_' or '-', starting with a " +
    "letter or digit. Loads see only snapshots of the schema they ask: a new one hides the old snapshots",
  errorMessage: `must match ${streamTypeRule}, got {value}`,
});

export const PutSnapshotBody = requestBody({
  revision: wholeNumber(1, maxWholeNumber, {
    description: "the stream's revision the state was folded up to; the stream must have it",
  }),
  schema: SnapshotSchemaName,
  state: Type.Unknown({
    description: "any JSON value; returned exactly as given",
    errorMessage: { default: "must be a JSON value", required: "is required: any JSON value" },
  }),
  subject: Type.Optional({
    ...Subject,
    description:
      'the data subject whose personal data the state is: sealed whole with its key, read as "[erased]" after ' +
      "DELETE /subjects/{subject}",
  }),
});

export const SnapshotPath = Type.Object({ streamType: StreamType, streamId: Uuid });

export const LatestSnapshotQuery = Type.Object({ schema: SnapshotSchemaName });

const snapshotMembers = {
  streamId: Uuid,
  streamType: StreamType,
  revision: { ...Revision, description: "the stream's revision the state was folded up to" },
  schema: Type.String(),
  createdAt: { ...Time, description: "when the snapshot was put" },
  stateSize: Type.Integer({ minimum: 0, description: "bytes of the state's JSON text (UTF-8)" }),
  subject: Type.Optional(Type.String({ description: "the data subject whose personal data the state is" })),
};

export const SnapshotInfo = Type.Object(snapshotMembers, { $id: "SnapshotInfo", additionalProperties: false });

export const Snapshot = Type.Object(
  {
    ...snapshotMembers,
    state: Type.Unknown({ description: 'the JSON value exactly as it was put; "[erased]" once its subject is erased' }),
    erased: Type.Optional(Type.Boolean({ description: "true once the snapshot's subject was erased" })),
  },
  { $id: "Snapshot", additionalProperties: false },
);

export const SnapshotInfoAnswer = Type.Object({ snapshot: SnapshotInfo }, { additionalProperties: false });

export const SnapshotAnswer = Type.Object({ snapshot: Snapshot }, { additionalProperties: false });

/** The schemas of this group the OpenAPI document names as components. */
export const snapshotsComponents = { SnapshotInfo, Snapshot };
