/**
 * The client's types and problem types are copies of the API's (the published client must not import the server):
 * this file keeps them true. The type checks fail `tsc --noEmit` (npm run lint, CI) when a schema and the client's
 * interface part ways; the problem types are compared when the tests run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Static, TSchema } from "@sinclair/typebox";
import type * as consistencySchema from "#api/consistency-schema.ts";
import type * as feedSchema from "#api/feed-schema.ts";
import type * as lifecycleSchema from "#api/lifecycle-schema.ts";
import type * as operationSchema from "#api/operation-schema.ts";
import { problemTypes as serverProblemTypes } from "#api/problem.ts";
import type * as schema from "#api/schema.ts";
import type * as snapshotsSchema from "#api/snapshots-schema.ts";
import type * as streamsSchema from "#api/streams-schema.ts";
import type * as client from "../../client/index.ts";
import { problemTypes } from "../../client/index.ts";

/** Members other than index signatures. */
type KnownMembers<T> = keyof {
  [Key in keyof T as string extends Key ? never : number extends Key ? never : Key]: T[Key];
};
type SameMembers<A, B> = [KnownMembers<A>] extends [KnownMembers<B>]
  ? [KnownMembers<B>] extends [KnownMembers<A>]
    ? true
    : { missingInClient: Exclude<KnownMembers<B>, KnownMembers<A>> }
  : { notServed: Exclude<KnownMembers<A>, KnownMembers<B>> };

/** What the API answers fits the client's type, member for member. */
type Answers<Client, Served> = [Served] extends [Client] ? SameMembers<Client, Served> : { servedDoesNotFit: Served };
/** What the client sends fits what the API takes, member for member. */
type Takes<Client, Taken> = [Client] extends [Taken] ? SameMembers<Client, Taken> : { sentDoesNotFit: Client };
/** Both ways: the same type. */
type Same<Client, Server> = Answers<Client, Server> extends true ? Takes<Client, Server> : Answers<Client, Server>;

/** Compiles only when every check is `true`; a failing one shows what differs. */
function agree<_Checks extends true[]>(): void {}

type Served<Schema extends TSchema> = Static<Schema>;
type ReplaysBody = Static<typeof operationSchema.ReplaysBody>;
type ServedProblem = Served<typeof schema.Problem>;
type ServedFailure = NonNullable<ServedProblem["failures"]>[number];
// The problem schema types a failure's expectedRevision loosely (integer or string): it is the expectation sent.
type ServedFailureAsSent = Omit<ServedFailure, "expectedRevision"> & {
  expectedRevision: Static<typeof schema.ExpectedRevision>;
};
type AppendsBody = Static<typeof consistencySchema.AppendsBody>;
type DcbPageServed = Served<typeof consistencySchema.DcbPageAnswer>["dcbPage"];

agree<
  [
    Same<client.Stream, Served<typeof schema.Stream>>,
    Same<client.RecordedEvent, Served<typeof schema.Event>>,
    Takes<client.NewEvent, Static<typeof schema.NewEvent>>,
    Same<client.ExpectedRevision, Static<typeof schema.ExpectedRevision>>,
    Answers<client.AppendResult, Served<typeof streamsSchema.AppendAnswer>>,
    Answers<client.EventPage, Served<typeof streamsSchema.EventPageAnswer>["eventPage"]>,
    Answers<client.StreamPage, Served<typeof streamsSchema.StreamPageAnswer>["streamPage"]>,
    Answers<client.StreamTypeSummary, Served<typeof streamsSchema.StreamTypeSummary>>,
    Answers<client.StreamTypePage, Served<typeof streamsSchema.StreamTypePageAnswer>["streamTypePage"]>,
    Answers<client.Liveness, Served<typeof schema.Liveness>>,
    Answers<client.FeedEvent, Served<typeof feedSchema.FeedEvent>>,
    Answers<client.FeedPage, Served<typeof feedSchema.FeedPageAnswer>["feedPage"]>,
    Answers<client.FeedHead, Served<typeof feedSchema.FeedHeadAnswer>["feedHead"]>,
    Answers<client.Problem, Omit<ServedProblem, "failures"> & { failures?: ServedFailureAsSent[] }>,
    Answers<client.StreamExpectationFailure, ServedFailureAsSent>,
    Takes<client.MultiAppendRequest, AppendsBody>,
    Takes<client.StreamAppend, AppendsBody["appends"][number]>,
    Takes<client.StreamCheck, NonNullable<AppendsBody["checks"]>[number]>,
    Answers<client.MultiAppendResult, Served<typeof consistencySchema.AppendsAnswer>>,
    Same<client.DcbQuery, Static<typeof consistencySchema.DcbQuery>>,
    Same<client.DcbQueryItem, Static<typeof consistencySchema.DcbQueryItem>>,
    Same<client.DcbAppendCondition, Static<typeof consistencySchema.DcbAppendCondition>>,
    Takes<client.NewDcbEvent, Static<typeof consistencySchema.DcbEvent>>,
    Takes<{ query: client.DcbQuery; after?: number; limit?: number }, Static<typeof consistencySchema.DcbReadBody>>,
    Takes<
      { events: client.NewDcbEvent[]; condition?: client.DcbAppendCondition },
      Static<typeof consistencySchema.DcbAppendBody>
    >,
    Answers<client.DcbPage, DcbPageServed>,
    Answers<client.SequencedEvent, DcbPageServed["events"][number]>,
    Answers<client.DcbAppendResult, Served<typeof consistencySchema.DcbAppendAnswer>>,
    Answers<client.Operation, Served<typeof operationSchema.Operation>>,
    Answers<client.Operation["progress"], Served<typeof operationSchema.Operation>["progress"]>,
    Same<client.OperationRequest, Served<typeof operationSchema.ReplayRequest>>,
    Same<client.RemovalRequest, Served<typeof operationSchema.RemovalRequest>>,
    Same<client.ErasureRequest, Served<typeof operationSchema.ErasureRequest>>,
    Takes<client.Retention, Static<typeof lifecycleSchema.RetentionBody>>,
    Answers<client.RetentionSettings, Served<typeof lifecycleSchema.RetentionAnswer>["retention"]>,
    Answers<client.AcceptedOperation, Served<typeof operationSchema.AcceptedAnswer>>,
    Answers<client.OperationPage, Served<typeof operationSchema.OperationPageAnswer>["operationPage"]>,
    Answers<client.UndeliveredNotification, Served<typeof operationSchema.UndeliveredNotification>>,
    Answers<client.UndeliveredPage, Served<typeof operationSchema.UndeliveredPageAnswer>["undeliveredPage"]>,
    // A replay's updatedAfter may be a Date; the client sends it as text.
    Takes<client.StreamReplayRequest & { updatedAfter?: string }, Extract<ReplaysBody, { streamType: string }>>,
    Takes<client.RedriveRequest, Extract<ReplaysBody, { undelivered: true }>>,
    Same<client.OperationState, Served<typeof operationSchema.ListOperationsQuery>["state"] & string>,
    Same<client.OperationKind, Served<typeof operationSchema.ListOperationsQuery>["kind"] & string>,
  ]
>();

// Snapshots (SPEC section 12).
agree<
  [
    Answers<client.SnapshotInfo, Served<typeof snapshotsSchema.SnapshotInfoAnswer>["snapshot"]>,
    Answers<client.Snapshot, Served<typeof snapshotsSchema.SnapshotAnswer>["snapshot"]>,
    Takes<client.NewSnapshot, Static<typeof snapshotsSchema.PutSnapshotBody>>,
  ]
>();

describe("the client's copy of the API contract", () => {
  it("has every problem type of the API, with the same type names", () => {
    const served = Object.fromEntries(Object.entries(serverProblemTypes).map(([name, type]) => [name, type.type]));
    assert.deepEqual({ ...problemTypes }, served);
  });

  it("types every answer and request as the API's schemas do (checked by tsc; see the top of this file)", () => {
    assert.ok(true);
  });
});
