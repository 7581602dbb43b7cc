/**
 * The package's main entry: `import { EventStore } from "<package>"` in a CDK app. The construct, its props and
 * the names a subscriber filters on; the HTTP client is the `<package>/client` entry.
 */
export { EventStore } from "./event-store.ts";
export type {
  EventStoreProps,
  NotificationBody,
  ReplayTargets,
  StreamTypeRetention,
  SubscribeQueueOptions,
} from "./event-store-props.ts";
export { eventTypeMessageAttribute, streamTypeMessageAttribute } from "./notification-topic.ts";
export type { Operations } from "./operations.ts";
