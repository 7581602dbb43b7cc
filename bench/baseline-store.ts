/**
 * The baseline of the capacity figures: the access pattern of the Go project (`serverless-event-store`, which
 * this store replaces), written here with raw SDK calls against a table of its layout. Only the facts of that
 * design are reproduced, not its code:
 *
 *   stream header  PK = stream id, SK = 0: RecordType, StreamType, StreamRevision, UpdatedAt
 *   event          PK = stream id, SK = revision: RecordType, EventType, Payload, CreatedAt
 *                  (plus EventId, which this store's contract requires and the Go layout lacks, so that both
 *                  designs write events of the same size)
 *   StreamIndex    GSI, partition key StreamType, sort key UpdatedAt, projecting StreamRevision and CreatedAt;
 *                  only headers carry UpdatedAt, so only they are in it
 *
 *   create   TransactWriteItems: put header + put event 1
 *   append   GetItem of the header (eventually consistent, the SDK default the Go code keeps), then
 *            TransactWriteItems: update the header's revision on the condition that it is the expected one,
 *            and put the event(s)
 *   read     Query of the stream's partition after SK 0 (eventually consistent)
 *   details  GetItem of the header
 *   listing  Query of StreamIndex by type and UpdatedAt
 *
 * The table has no DynamoDB stream: capacity does not depend on it, and DynamoDB Local slows down with every
 * stream-enabled table it holds.
 */
import { randomUUID } from "node:crypto";
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { Stream } from "#store/model.ts";
import type { BenchEvent } from "./events.ts";
import { newStreamId } from "./events.ts";

export const baselineTableName = "baseline-go-layout";
const streamIndexName = "StreamIndex";

export function baselineCreateTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "PK", AttributeType: "S" },
      { AttributeName: "SK", AttributeType: "N" },
      { AttributeName: "StreamType", AttributeType: "S" },
      { AttributeName: "UpdatedAt", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: streamIndexName,
        KeySchema: [
          { AttributeName: "StreamType", KeyType: "HASH" },
          { AttributeName: "UpdatedAt", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["StreamRevision", "CreatedAt"] },
      },
    ],
  };
}

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export class BaselineStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createStream(streamType: string, event: BenchEvent): Promise<Stream> {
    const streamId = newStreamId();
    const now = new Date().toISOString();
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                PK: streamId,
                SK: 0,
                RecordType: "stream",
                StreamType: streamType,
                StreamRevision: 1,
                UpdatedAt: now,
              },
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
          this.putEvent(streamId, 1, event, now),
        ],
        ReturnConsumedCapacity: "INDEXES",
      }),
    );
    return { streamId, streamType, revision: 1, updatedAt: now };
  }

  /** Appends `events` after `expectedRevision` (the Go API appends one; several go in the same transaction). */
  async append(streamType: string, streamId: string, expectedRevision: number, events: BenchEvent[]): Promise<Stream> {
    const header = await this.header(streamId);
    if (header?.StreamType !== streamType) throw new Error(`baseline: stream ${streamId} not found`);
    if (header.StreamRevision !== expectedRevision) throw new Error(`baseline: stream ${streamId} conflict`);
    const now = new Date().toISOString();
    const revision = expectedRevision + events.length;
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: { PK: streamId, SK: 0 },
              UpdateExpression: "SET StreamRevision = :revision, UpdatedAt = :now",
              ConditionExpression: "StreamRevision = :expected",
              ExpressionAttributeValues: { ":revision": revision, ":now": now, ":expected": expectedRevision },
            },
          },
          ...events.map((event, index) => this.putEvent(streamId, expectedRevision + index + 1, event, now)),
        ],
        ReturnConsumedCapacity: "INDEXES",
      }),
    );
    return { streamId, streamType, revision, updatedAt: now };
  }

  /** Events after `afterRevision`; returns how many were read. */
  async readEvents(streamId: string, afterRevision: number): Promise<number> {
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "PK = :streamId",
        ExpressionAttributeValues: { ":streamId": streamId },
        ExclusiveStartKey: { PK: streamId, SK: afterRevision },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    return output.Items?.length ?? 0;
  }

  async details(streamId: string): Promise<Stream | undefined> {
    const header = await this.header(streamId);
    return header
      ? {
          streamId,
          streamType: String(header.StreamType),
          revision: Number(header.StreamRevision),
          updatedAt: String(header.UpdatedAt),
        }
      : undefined;
  }

  /** One page of streams of a type updated at or after a time; returns how many were listed. */
  async listStreams(streamType: string, updatedAfter: string, limit: number): Promise<number> {
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: streamIndexName,
        KeyConditionExpression: "StreamType = :streamType AND UpdatedAt >= :updatedAfter",
        ExpressionAttributeValues: { ":streamType": streamType, ":updatedAfter": updatedAfter },
        Limit: limit,
        ReturnConsumedCapacity: "INDEXES",
      }),
    );
    return output.Items?.length ?? 0;
  }

  private async header(streamId: string): Promise<Record<string, unknown> | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { PK: streamId, SK: 0 }, ReturnConsumedCapacity: "TOTAL" }),
    );
    return output.Item;
  }

  private putEvent(streamId: string, revision: number, event: BenchEvent, createdAt: string): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          PK: streamId,
          SK: revision,
          RecordType: "event",
          EventType: event.eventType,
          EventId: event.eventId ?? randomUUID(),
          Payload: event.payload.text,
          CreatedAt: createdAt,
        },
        ConditionExpression: "attribute_not_exists(PK) AND attribute_not_exists(SK)",
      },
    };
  }
}
