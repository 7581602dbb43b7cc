/**
 * Notifications as subscribers receive them: one SQS message per event, either in SNS's envelope (the default of a
 * subscription) or raw (raw message delivery, and a replay sent to a queue). The body is the Go project's
 * (`StreamRevision` a string), with `Payload` and `Metadata` when the stack sends full bodies.
 */
import type { Notification } from "./types.ts";

/**
 * An SQS message as the AWS SDK's ReceiveMessage gives it (`Body`, `MessageAttributes[name].StringValue`) or as
 * Lambda's SQS event gives it (`body`, `messageAttributes[name].stringValue`).
 */
export interface SqsMessageLike {
  Body?: string | undefined;
  MessageAttributes?: Record<string, { StringValue?: string | undefined }> | undefined;
  body?: string | undefined;
  messageAttributes?: Record<string, { stringValue?: string | undefined }> | undefined;
}

/** A message that is not an event store notification. */
export class InvalidNotification extends Error {
  override name = "InvalidNotification";
}

/**
 * The notification in an SQS message (from `ReceiveMessage` or a Lambda SQS event record).
 *
 * @throws InvalidNotification when the message is not one
 * @example
 * export const handler = async (event: SQSEvent) => {
 *   for (const record of event.Records) {
 *     const { streamId, revision, eventType } = parseNotification(record);
 *   }
 * };
 */
export function parseNotification(message: SqsMessageLike): Notification {
  const { body, attributes } = unwrapMessage(message);
  return notificationOf(body, attributes);
}

/**
 * The notification's body and its message attributes, out of SNS's envelope (the default of a subscription) or
 * from a raw message, without checking the body's fields (parseNotification does).
 *
 * @throws InvalidNotification when the message has no body or its body is not JSON
 */
export function unwrapMessage(message: SqsMessageLike): {
  body: Record<string, unknown> | undefined;
  attributes: Record<string, string>;
} {
  const text = message.Body ?? message.body;
  if (text === undefined) throw new InvalidNotification("the message has no body");
  const parsed = parseJson(text);
  // SNS delivers in an envelope whose Message is the body as text and whose attributes are {Type, Value}.
  if (parsed && typeof parsed.Message === "string" && typeof parsed.TopicArn === "string") {
    const attributes = parsed.MessageAttributes as Record<string, { Value?: unknown }> | undefined;
    return { body: parseJson(parsed.Message), attributes: stringValues(attributes, (attribute) => attribute.Value) };
  }
  const attributes = message.MessageAttributes
    ? stringValues(message.MessageAttributes, (attribute) => attribute.StringValue)
    : stringValues(message.messageAttributes, (attribute) => attribute.stringValue);
  return { body: parsed, attributes };
}

function notificationOf(body: Record<string, unknown> | undefined, attributes: Record<string, string>): Notification {
  const field = (name: string): string => {
    const value = body?.[name];
    if (typeof value !== "string") throw new InvalidNotification(`the message body has no ${name}`);
    return value;
  };
  const revision = Number(field("StreamRevision"));
  if (!Number.isSafeInteger(revision) || revision < 1) {
    throw new InvalidNotification(`StreamRevision is not a revision: ${field("StreamRevision")}`);
  }
  const payloadIncluded = body !== undefined && Object.hasOwn(body, "Payload");
  return {
    streamId: field("StreamId"),
    streamType: field("StreamType"),
    revision,
    eventType: field("EventType"),
    eventId: field("EventId"),
    createdAt: field("CreatedAt"),
    payloadIncluded,
    ...(payloadIncluded ? { payload: body?.Payload } : {}),
    ...(payloadIncluded && body?.Metadata !== undefined ? { metadata: body.Metadata as Record<string, unknown> } : {}),
    ...(attributes.replayId !== undefined ? { replayId: attributes.replayId } : {}),
    redrive: attributes.redrive === "true",
    ...(attributes.traceparent !== undefined ? { traceparent: attributes.traceparent } : {}),
    ...(attributes.tracestate !== undefined ? { tracestate: attributes.tracestate } : {}),
    attributes,
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    throw new InvalidNotification("the message body is not JSON");
  }
}

function stringValues<Attribute>(
  attributes: Record<string, Attribute> | undefined,
  stringOf: (attribute: Attribute) => unknown,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    const value = stringOf(attribute);
    if (typeof value === "string") values[name] = value;
  }
  return values;
}
