/**
 * The TypeScript client of the event store (`<package>/client`): the HTTP API's client, its typed errors, and a
 * subscriber for SQS queues that receive the store's notifications; the global feed's reader and catch-up
 * subscription are `EventStoreClient` methods, the Dynamic Consistency Boundary is `client.dcb`.
 */

export type { CallOptions } from "./common.ts";
export type * from "./consistency-types.ts";
export type {
  DcbClient,
  DcbDecided,
  DcbDecision,
  DcbReadAllOptions,
  DcbReadAllResult,
  DcbReadOptions,
} from "./dcb.ts";
export {
  AppendConditionFailed,
  BadRequest,
  EventStoreError,
  Forbidden,
  IdempotencyKeyReused,
  NetworkError,
  NotFound,
  OperationFinished,
  OperationNotFound,
  PayloadTooLarge,
  problemTypes,
  ServiceUnavailable,
  SnapshotSuperseded,
  StreamDeleted,
  StreamNotFound,
  StreamsConflict,
  SubjectErased,
  WrongExpectedRevision,
} from "./errors.ts";
export { EventStoreClient, type EventStoreClientOptions } from "./event-store-client.ts";
export type {
  FeedFilter,
  FeedSubscribeOptions,
  FeedSubscription,
  ReadFeedOptions,
  ReadFeedPageOptions,
} from "./feed.ts";
export type { DeleteStreamOptions, TruncateResult } from "./lifecycle.ts";
export { InvalidNotification, parseNotification, type SqsMessageLike } from "./notifications.ts";
export type {
  ListOperationsOptions,
  ListUndeliveredOptions,
  StartReplayOptions,
  WaitForOperationOptions,
} from "./operations.ts";
export {
  type MessageContext,
  type NotificationHandler,
  type SubscribeOptions,
  subscribe,
} from "./queue-subscriber.ts";
export type { RetryEvent, RetryOptions } from "./retry.ts";
export type * from "./snapshot-types.ts";
export type { LoadedState, LoadStateOptions } from "./snapshots.ts";
export type {
  AppendOptions,
  CreateStreamOptions,
  ListStreamPageOptions,
  ListStreamsOptions,
  ListStreamTypesOptions,
  ReadEventPageOptions,
  ReadEventsOptions,
} from "./streams.ts";
export type * from "./types.ts";
