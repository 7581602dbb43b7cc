/**
 * The notification of one event as a message (SPEC section 4): its body (the Go project's, or with the payload
 * when asked and it fits) and its String attributes, and what SNS (and SQS) would refuse in a message, checked
 * before it is sent. The SNS publisher (notifications.ts) and the operation worker's queue publisher share it.
 */
import { createHash } from "node:crypto";
import type { RecordedEvent } from "#store/model.ts";
import { StoredPayload } from "#store/raw-json.ts";

/** The body subscribers receive; field names and the revision as a string are the Go project's. */
export function notificationBody(event: RecordedEvent): string {
  return JSON.stringify({
    StreamId: event.streamId,
    StreamType: event.streamType,
    StreamRevision: String(event.revision),
    EventType: event.eventType,
    EventId: event.eventId,
    CreatedAt: event.createdAt,
  });
}

export interface NotificationOptions {
  /** `go`: the Go project's body; `full`: with `Payload` and `Metadata` when the message still fits. */
  body: "go" | "full";
  /**
   * The largest message the topic takes, body and attributes together: its `MaximumMessageSize` (the stack option
   * `largeNotifications` raises it to 1 MiB). Default: SNS's default, 256 KiB.
   */
  maxMessageBytes?: number | undefined;
}

/**
 * SNS's default limit for one message, body and attributes together (and for one PublishBatch call), which a
 * topic's `MaximumMessageSize` attribute may raise to 1 MiB.
 */
export const defaultMaxMessageBytes = 256 * 1024;
/** SNS's limit of message attributes per message. */
const maxAttributes = 10;
/**
 * Room kept for what SNS adds around a message it delivers to SQS or HTTP subscribers without raw delivery (the
 * construct's default): the envelope's fields, signature and URLs, and the attributes again.
 */
const envelopeBytes = 8 * 1024;

/**
 * The SNS/SQS message of an event: its body and its String message attributes (streamType, eventType,
 * PayloadIncluded when full, traceparent and tracestate when the append carried them, plus `extra`). A full body carries `Payload` (and `Metadata` when the event has
 * any) as JSON values when the message, JSON-escaped inside SNS's envelope, stays within `maxMessageBytes` (256 KiB
 * by default); otherwise it is the Go body with `PayloadIncluded: "false"`.
 */
export function notificationMessage(
  event: RecordedEvent,
  options: NotificationOptions,
  extra: Record<string, string> = {},
): { body: string; attributes: Record<string, string> } {
  // The event's own attributes win over `extra`, so filter policies always see the event's.
  const attributes = { ...extra, streamType: event.streamType, eventType: event.eventType, ...traceAttributes(event) };
  const body = notificationBody(event);
  if (options.body !== "full") return { body, attributes };
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const metadata = `${event.metadata ? `,"Metadata":${event.metadata.text}` : ""}${personalMembers(event)}`;
  // A payload kept in S3 is never in a message: its reference is (SPEC section 12; subscribers read the object).
  if (event.payload instanceof StoredPayload) {
    const { key, size, sha256 } = event.payload;
    const reference = JSON.stringify({ Key: key, Size: size, Sha256: sha256 });
    const withReference = `${body.slice(0, -1)},"PayloadRef":${reference}${metadata}}`;
    const referenced = { ...attributes, PayloadIncluded: "false" };
    if (deliveredBytes(withReference, referenced) <= maxMessageBytes)
      return { body: withReference, attributes: referenced };
    return { body, attributes: referenced };
  }
  const full = `${body.slice(0, -1)},"Payload":${event.payload.text}${metadata}}`;
  const included = { ...attributes, PayloadIncluded: "true" };
  if (deliveredBytes(full, included) <= maxMessageBytes) return { body: full, attributes: included };
  return { body, attributes: { ...attributes, PayloadIncluded: "false" } };
}

/** A full body's members about personal data: the subject, the pointers, and whether the subject was erased. */
function personalMembers(event: RecordedEvent): string {
  if (event.subject === undefined) return "";
  const marks = { Subject: event.subject, PersonalData: event.personalData ?? [], Erased: event.erased === true };
  return `,${JSON.stringify(marks).slice(1, -1)}`;
}

/**
 * The W3C trace context of the append that wrote the event, as the attributes `traceparent` and `tracestate`: the
 * names OpenTelemetry's propagators read from message attributes, so a subscriber continues the writer's trace.
 */
function traceAttributes(event: RecordedEvent): Record<string, string> {
  const context = event.traceContext;
  if (!context) return {};
  return { traceparent: context.traceparent, ...(context.tracestate ? { tracestate: context.tracestate } : {}) };
}

/** The size of the message as an SQS subscriber receives it: escaped inside the envelope, attributes in JSON. */
function deliveredBytes(body: string, attributes: Record<string, string>): number {
  const attributeJson = Object.entries(attributes).map(
    ([name, value]) => `${JSON.stringify(name)}:{"Type":"String","Value":${JSON.stringify(value)}}`,
  );
  return Buffer.byteLength(JSON.stringify(body)) + Buffer.byteLength(attributeJson.join(",")) + envelopeBytes;
}

/** The attributes as SNS and SQS take them: each a `String`. */
export function stringAttributes(
  attributes: Record<string, string>,
): Record<string, { DataType: "String"; StringValue: string }> {
  const values: Record<string, { DataType: "String"; StringValue: string }> = {};
  for (const [name, value] of Object.entries(attributes)) values[name] = { DataType: "String", StringValue: value };
  return values;
}

/** Size as SNS counts it: the body plus each attribute's name, type (`String`) and value. */
export function messageBytes(body: string, attributes: Record<string, string>): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + "String".length + Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * Characters outside SNS's and SQS's set (XML's: tab, line feeds, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and up);
 * with the `u` flag a lone surrogate is one of them. The SDK cannot even serialise a call that holds one.
 */
const refusedCharacter = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * Why SNS (or the SDK) would refuse this message on a topic that takes messages up to `maxMessageBytes`, for an
 * operator; undefined when it may be sent.
 */
export function messageRefusal(
  body: string,
  attributes: Record<string, string>,
  maxMessageBytes = defaultMaxMessageBytes,
): string | undefined {
  if (refusedCharacter.test(body)) return "the message holds characters SNS does not accept";
  const entries = Object.entries(attributes);
  if (entries.length > maxAttributes) return `more than ${maxAttributes} message attributes`;
  for (const [name, value] of entries) {
    if (refusedCharacter.test(name)) return "an attribute name holds characters SNS does not accept";
    if (value === "") return `attribute ${name} is empty`;
    if (refusedCharacter.test(value)) return `attribute ${name} holds characters SNS does not accept`;
  }
  const bytes = messageBytes(body, attributes);
  if (bytes > maxMessageBytes) return `the message has ${bytes} bytes, more than ${maxMessageBytes}`;
  return undefined;
}

/**
 * The FIFO deduplication id of a notification (topic or queue): `streamId:revision`, so SNS or SQS drops a repeat of a notification within 5 minutes (a redelivered record, a
 * redrive of what did get through). A replay is meant to repeat notifications: its id is part of it.
 */
export function deduplicationId(event: RecordedEvent, extra: Record<string, string>): string {
  const id = `${event.streamId}:${event.revision}`;
  const replayId = extra.replayId;
  if (replayId === undefined || extra.redrive === "true") return id;
  return `${id}:${createHash("sha256").update(replayId).digest("hex").slice(0, 32)}`;
}
