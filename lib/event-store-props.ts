/**
 * The options of the EventStore construct, with the TSDoc users read in their editor. A new stack option starts
 * here (with its default in the TSDoc) and is read in event-store.ts.
 */
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { FunctionUrlAuthType, FunctionUrlCorsOptions } from "aws-cdk-lib/aws-lambda";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";

export interface EventStoreProps {
  /**
   * What CloudFormation does with the table, the payload bucket (and the functions' log groups) when they leave the
   * stack. Set `RemovalPolicy.DESTROY` for throwaway development stacks, together with `deletionProtection: false`;
   * CloudFormation deletes the bucket only once it is empty.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the table: nobody can delete it, not even CloudFormation, until it is
   * turned off. Turn it off for development stacks you mean to delete.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * How callers authenticate to the function URL.
   * - `AWS_IAM`: callers sign requests with SigV4 (service `lambda`) and need `lambda:InvokeFunctionUrl` and
   *   `lambda:InvokeFunction` on the API function: {@link EventStore.grantAppend} and {@link EventStore.grantRead}
   *   give them. The TypeScript client (`<package>/client`, `auth: "iam"`) signs; docs/clients.md shows Go and curl.
   * - `NONE`: anybody on the internet who knows the URL can read and append events, and Idempotency-Keys have no
   *   caller to be scoped to. Only for demos, or when something in front of the URL authenticates callers.
   * @default FunctionUrlAuthType.AWS_IAM
   */
  readonly authType?: FunctionUrlAuthType;
  /**
   * Make the function URL public: the same as `authType: FunctionUrlAuthType.NONE`.
   * @deprecated Use `authType`.
   * @default false
   */
  readonly publicUrl?: boolean;
  /**
   * CORS settings of the function URL, for browser callers. Its `allowedOrigins` (default `*`) also get a CORS rule on
   * the payload bucket (PUT and GET), so that browsers can upload large payloads and read them through the pre-signed
   * URLs the API gives.
   * @default - no CORS headers: browsers on other origins cannot call the API (nor use the bucket's URLs)
   */
  readonly cors?: FunctionUrlCorsOptions;
  /**
   * Make the notification topic FIFO: notifications of one stream arrive in revision order (message group =
   * stream id, deduplication id = `streamId:revision`, content-based deduplication off). Subscribers must then be
   * FIFO queues. Changing this replaces the topic and drops its subscriptions.
   * @default false - a standard topic
   */
  readonly fifoTopic?: boolean;
  /**
   * Encrypt the notification topic at rest (SNS server-side encryption) with this KMS key. The change feed is granted
   * `kms:GenerateDataKey*` and `kms:Decrypt` on it to publish. Subscribers receive notifications decrypted, but a
   * subscribed SQS queue encrypted with a customer managed key must let `sns.amazonaws.com` use that queue's key
   * (`kms:Decrypt`, `kms:GenerateDataKey`): `subscribeQueue` adds that to the key policy of a queue key in the same
   * app; for other subscribers add it yourself. Queues with SQS-managed encryption need nothing. Anything else that
   * publishes to the topic (nothing does by default) also needs `kms:GenerateDataKey*` and `kms:Decrypt` on this key.
   * Setting or changing it updates the topic in place.
   * @default - no server-side encryption (TLS in transit is always enforced)
   */
  readonly topicEncryptionKey?: IKey;
  /**
   * Topic the alarms notify when they go off.
   * @default - the alarms have no action; watch them in the CloudWatch console
   */
  readonly alarmTopic?: ITopic;
  /**
   * How long the functions' log groups keep log events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Memory of the API function in MB. CPU, and so cold-start and JSON work, scales with it.
   * @default 1024
   */
  readonly apiMemorySize?: number;
  /**
   * Timeout of the API function. Function URLs wait for the function. A read of the global feed may wait up to
   * 20 s for new events (`wait-seconds`); a shorter timeout cuts such long polls off.
   * @default Duration.seconds(30)
   */
  readonly apiTimeout?: Duration;
  /**
   * Concurrent executions reserved for the API function, which are also its ceiling: requests beyond it (or beyond
   * 10 × this number per second, the function URL's rate limit that follows from it) are answered 429 by the function
   * URL and raise the `ApiThrottlesAlarm`. It protects the table's on-demand capacity and the
   * rest of the account from a flood, and guarantees the API that much of the account's concurrency, which Lambda
   * takes from the unreserved pool (at least 100 must stay unreserved). A whole number of at least 1.
   * @default - nothing reserved: the API scales up to the account's unreserved concurrency
   */
  readonly apiReservedConcurrency?: number;
  /**
   * Memory of the change-feed function in MB.
   * @default 512
   */
  readonly changeFeedMemorySize?: number;
  /**
   * Largest number of stream records in one invocation of the change feed. It also sizes the global feed's batches:
   * one batch item per invocation, so larger batches cost fewer write units per event and index more events per
   * second (docs/performance.md, the global feed on AWS), at the price of notifications waiting for a whole batch.
   * At most 5,000, so that a batch's item of the feed stays within DynamoDB's 400 KB. A quiet table's invocations
   * carry what has arrived, whatever this says; it matters under load and when the change feed catches up.
   * @default 1000 (100 before the global feed, whose writes one at a time make larger batches pay)
   */
  readonly changeFeedBatchSize?: number;
  /**
   * How often a failing batch is retried before its records go to the dead-letter queue. Bisecting a failing
   * batch does not count against it. Records the global feed holds back until their stream's earlier revisions
   * come from a sibling shard (after a partition split) are such retries: raise it if `FeedStreamsHeldBack` grows.
   * @default 10
   */
  readonly changeFeedRetryAttempts?: number;
  /**
   * Records older than this are not retried but sent to the dead-letter queue. The stream keeps records 24 hours.
   * @default Duration.hours(6)
   */
  readonly changeFeedMaxRecordAge?: Duration;
  /**
   * The iterator-age alarm goes off when the change feed's oldest unprocessed record is older than this.
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /**
   * What a notification's body holds (SPEC section 4), for the change feed and for replayed and redriven
   * notifications alike. `"go"`: the Go project's body (`StreamId`, `StreamType`, `StreamRevision`, `EventType`,
   * `EventId`, `CreatedAt`), which existing consumers read. `"full"`: that body plus `Payload` and `Metadata` when the
   * message fits in SNS's 256 KB, or 1 MiB with {@link largeNotifications} (the attribute `PayloadIncluded` says
   * whether they are in it), so that read models need not read the stream back.
   * @default "go"
   */
  readonly notificationBody?: NotificationBody;
  /**
   * Raise the notification topic's `MaximumMessageSize` from SNS's default 256 KiB to 1 MiB, so that with
   * `notificationBody: "full"` notifications carry payloads (and metadata) of up to about 1 MiB as SNS delivers them,
   * JSON-escaped, instead of about 248 KiB. Payloads above `largePayloadThresholdBytes` stay in the payload bucket and
   * are referenced (`PayloadRef`) either way, so in practice every payload kept in the table then fits. The change
   * feed and the operation worker get the limit in `NOTIFICATION_MAX_BYTES` (replays to other targets keep 256 KiB).
   *
   * SNS allows it only while the topic has at most 100 subscriptions, each of them **SQS, Lambda or Amazon Data
   * Firehose**: HTTP/S, email, SMS and mobile push subscribers cannot subscribe to such a topic (SNS refuses the
   * subscription), and synth fails on such a subscription declared in this stack; subscriptions made elsewhere must
   * meet the same condition. A subscribed queue must take messages that large (SQS's default, 1 MiB, does; a smaller
   * `maxMessageSizeBytes` does not). Setting it updates the topic in place.
   * @default false - SNS's default 256 KiB
   */
  readonly largeNotifications?: boolean;
  /**
   * Where `POST /replays` may send notifications besides the store's own topic, which is always allowed (SPEC
   * section 5: a new read model replays history into its own queue, and live subscribers see nothing). The
   * operation worker's role may send to these and to nothing else, and the API refuses any other target before it
   * creates an operation. Their ARNs reach both functions in `ALLOWED_REPLAY_TARGETS`.
   * @default - no other target: replays go to the store's topic only
   */
  readonly replayTargets?: ReplayTargets;
  /**
   * Partitions of the stream listing's index per stream type, 1 to 32. Every append's summary upkeep writes the
   * index, and DynamoDB gives one partition about 1,000 write units per second (an upkeep takes 2 of them), so one
   * stream type sustains about 500 × `listingShards` summary upkeeps per second; a listing page queries every
   * shard, so more shards make each page cost more queries and read units (docs/performance.md, "A hot stream
   * type"). The functions get it in `LISTING_SHARDS`.
   *
   * Choose it when the table is created. It may be raised later: a stream's summary moves to its new shard at its
   * next append, and the shards below the old count stay among those every listing queries. Never lower it on a
   * live table: streams whose summaries sit in the shards above the new count drop out of listings until they are
   * appended to again.
   * @default 4
   */
  readonly listingShards?: number;
  /**
   * Payloads above this many bytes are kept in the store's S3 bucket instead of the event's DynamoDB item, which
   * holds their key, size and SHA-256 (SPEC section 12); reads return them as before (or as a pre-signed URL when an
   * answer would pass the function URL's 6 MB). A whole number from 1024 (1 KB) to 389120 (380 KB): an event item
   * must stay within DynamoDB's 400 KB with its metadata and attributes. Larger thresholds keep more payloads in the
   * table (one read, no S3 request); smaller ones make large appends cheaper in write units. The API gets it in
   * `PAYLOAD_THRESHOLD_BYTES`, and the bucket's name in `PAYLOAD_BUCKET`.
   * @default 358400 (350 KB)
   */
  readonly largePayloadThresholdBytes?: number;
  /**
   * Retention by stream type (SPEC section 13), as EventStoreDB's `$maxAge` and `$maxCount`: events older than
   * `maxAge`, or before a stream's newest `maxCount`, are hidden from reads at once and removed later. A type's
   * `maxAge` is written into each new event as its TTL (`expiresAt`), so DynamoDB removes it for nothing; a
   * `maxCount` is kept by the hourly retention sweep (a truncation per stream, in steps of a tenth of it). A stream
   * may have limits of its own (`PUT /streams/{type}/{id}/retention`), which win limit by limit. A stack option
   * rather than metadata in the table: every function knows it without a read, which is what lets an append write
   * the expiry in its one write. Raising a `maxAge` does not extend events written before (their TTL stands).
   * @default - none: events are kept for ever
   */
  readonly retention?: Record<string, StreamTypeRetention>;
}

/** One stream type's retention limits; see {@link EventStoreProps.retention}. */
export interface StreamTypeRetention {
  /** How long an event stays readable after its append (whole seconds, at least 1). */
  readonly maxAge?: Duration;
  /** How many of a stream's newest events stay readable. */
  readonly maxCount?: number;
}

/** The body of a notification: the Go project's fields, or those plus payload and metadata. */
export type NotificationBody = "go" | "full";

/** Queues and topics a replay may send to; see {@link EventStoreProps.replayTargets}. */
export interface ReplayTargets {
  /**
   * Queues a replay may send to: the worker gets `sqs:SendMessage` on each, and on its KMS key (if the queue has one
   * this app knows) `kms:GenerateDataKey` and `kms:Decrypt`. A queue of another account must also allow the worker's
   * role in its queue policy. A FIFO queue receives one message group per stream.
   * @default - none
   */
  readonly queues?: IQueue[];
  /**
   * Topics a replay may publish to: the worker gets `sns:Publish` on each (and `kms:GenerateDataKey*` and
   * `kms:Decrypt` on a topic's key this app knows).
   * @default - none
   */
  readonly topics?: ITopic[];
  /**
   * ARN prefixes of queues or topics a replay may send to, for targets created later or elsewhere, e.g.
   * `arn:aws:sqs:eu-west-1:123456789012:read-model-`. Each one grants the worker `sqs:SendMessage` (an `sqs` prefix)
   * or `sns:Publish` (an `sns` prefix) on **every** queue or topic whose ARN starts with it, now or in the future,
   * and lets callers of the API name any of them as a target. So a prefix must name the service, the region and the
   * account (`arn:<partition>:<sqs|sns>:<region>:<account>:`), and should go on to the start of a name your team owns:
   * stopping after the account grants every queue (or topic) of that account and region. No wildcard inside it; a
   * trailing `*` may be written or left out. Encrypted queues or topics matched only by a prefix get no KMS grant:
   * use SQS-managed encryption for them, or list them in `queues`/`topics`.
   * @default - none
   */
  readonly arnPrefixes?: string[];
}

/**
 * Options of {@link EventStore.subscribeQueue}: which notifications the queue receives, as an SNS filter policy on
 * the `streamType` and `eventType` message attributes. Give either or both; SNS allows at most 150 combinations
 * (stream types × event types).
 */
export interface SubscribeQueueOptions {
  /**
   * The stream types whose notifications the queue receives.
   * @default - every stream type
   */
  readonly streamTypes?: string[];
  /**
   * The event types whose notifications the queue receives.
   * @default - every event type
   */
  readonly eventTypes?: string[];
  /**
   * Deliver the notification body as the SQS message body, with `streamType` and `eventType` as SQS message
   * attributes. With `false` the body is SNS's JSON envelope (`Message`, `MessageAttributes`, `TopicArn`, …).
   * @default false
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * Queue for notifications SNS cannot deliver to the subscribed queue (for example when its policy or key
   * changed).
   * @default - undeliverable notifications are dropped after SNS's retries
   */
  readonly deadLetterQueue?: IQueue;
}
