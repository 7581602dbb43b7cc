/**
 * The TypeScript client of the event store (`<package>/client`): the HTTP API's client, its typed errors, and a
 * subscriber for SQS queues that receive the store's notifications; the global feed's reader and catch-up
 * subscription are `EventStoreClient` methods.
 */

export {
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
  StreamNotFound,
  WrongExpectedRevision,
} from "./errors.ts";
export {
  type AppendOptions,
  type CallOptions,
  type CreateStreamOptions,
  EventStoreClient,
  type EventStoreClientOptions,
  type ListOperationsOptions,
  type ListStreamPageOptions,
  type ListStreamsOptions,
  type ListStreamTypesOptions,
  type ListUndeliveredOptions,
  type ReadEventPageOptions,
  type ReadEventsOptions,
  type StartReplayOptions,
  type WaitForOperationOptions,
} from "./event-store-client.ts";
export type {
  FeedFilter,
  FeedSubscribeOptions,
  FeedSubscription,
  ReadFeedOptions,
  ReadFeedPageOptions,
} from "./feed.ts";
export { InvalidNotification, parseNotification, type SqsMessageLike } from "./notifications.ts";
export {
  type MessageContext,
  type NotificationHandler,
  type SubscribeOptions,
  subscribe,
} from "./queue-subscriber.ts";
export type { RetryEvent, RetryOptions } from "./retry.ts";
export type * from "./types.ts";
