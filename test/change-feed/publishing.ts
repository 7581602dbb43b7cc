/**
 * What the notification tests share: events appended through the real store and read back as the records
 * DynamoDB Local's stream gives, and SNS clients in front of the local SNS (fauxqs) that count, inspect and
 * interfere with PublishBatch calls.
 */
import { randomUUID } from "node:crypto";
import { after, before } from "node:test";
import {
  type BatchResultErrorEntry,
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
  type SNSClient,
} from "@aws-sdk/client-sns";
import type { DynamoDBRecord } from "aws-lambda";
import type { NewEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotifications } from "#test/support/notifications.ts";
import { eventsTable, testStreamStore, uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";

export interface StoreSuite {
  store: StreamStore;
  streamArn: string;
}

export interface NotificationSuite extends StoreSuite {
  /** A local SNS/SQS endpoint of the suite's own, with its topic. */
  local: TestNotifications;
}

/** Registers the hook that sets up the store over the shared table and its stream. */
export function storeSuite(): StoreSuite {
  const suite = {} as StoreSuite;
  before(async () => {
    suite.store = (await testStreamStore()).store;
    suite.streamArn = await testTableStream(eventsTable);
  });
  return suite;
}

/** Registers the suite's hooks: the store and its stream, and a local SNS of its own (FIFO if asked). */
export function notificationSuite(options: { fifo?: boolean } = {}): NotificationSuite {
  const suite = storeSuite() as NotificationSuite;
  before(async () => {
    suite.local = await testNotifications(options);
  });
  after(() => suite.local.stop());
  return suite;
}

/** Each stream gets a new id and its events (`E1`, `E2`, … with payload {} when given as a count). */
export async function appendEvents(
  store: StreamStore,
  streamArn: string,
  streams: { streamType: string; events: number | NewEvent[] }[],
): Promise<{ ids: string[]; records: DynamoDBRecord[] }> {
  const ids = streams.map(() => randomUUID());
  for (const [index, stream] of streams.entries()) {
    const events =
      typeof stream.events === "number"
        ? Array.from({ length: stream.events }, (_, n) => ({ eventType: `E${n + 1}`, payload: new RawJson("{}") }))
        : stream.events;
    await store.append(stream.streamType, ids[index] as string, "no-stream", events);
  }
  return { ids, records: await readStreamRecords(streamArn, new Set(ids)) };
}

/** A fresh stream type, a queue subscribed to it, and new streams of it with these events (or this many). */
export async function subscribedStreams(suite: NotificationSuite, name: string, streams: (number | NewEvent[])[]) {
  const streamType = uniqueStreamType(name);
  const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
  const appended = await appendEvents(
    suite.store,
    suite.streamArn,
    streams.map((events) => ({ streamType, events })),
  );
  return { streamType, queue, ...appended };
}

/** The records of `streamId` (read earlier), or those from `fromRevision` on. */
export function recordsOf(records: DynamoDBRecord[], streamId: string, fromRevision = 1): DynamoDBRecord[] {
  return records.filter(
    (record) => record.dynamodb?.Keys?.pk?.S === streamId && Number(record.dynamodb?.Keys?.sk?.N) >= fromRevision,
  );
}

export interface SnsScript {
  /** Before each call: may change its entries, or throw to fail the call as a whole. */
  beforeCall?(entries: PublishBatchRequestEntry[], call: number): void;
  /** An entry answered as failed without being sent (`SenderFault` false: transient). */
  failEntry?(entry: PublishBatchRequestEntry, call: number): Omit<BatchResultErrorEntry, "Id"> | undefined;
}

/** The local SNS behind a script; `calls` holds each call's entries as they were asked for. */
export function scriptedSns(sns: Pick<SNSClient, "send">, script: SnsScript = {}) {
  const calls: PublishBatchRequestEntry[][] = [];
  const client = {
    send: async (command: PublishBatchCommand): Promise<PublishBatchCommandOutput> => {
      const entries = command.input.PublishBatchRequestEntries ?? [];
      calls.push(entries.map((entry) => ({ ...entry })));
      script.beforeCall?.(entries, calls.length);
      const failed: BatchResultErrorEntry[] = [];
      const sent = entries.filter((entry) => {
        const failure = script.failEntry?.(entry, calls.length);
        if (failure) failed.push({ ...failure, Id: entry.Id });
        return !failure;
      });
      const output =
        sent.length > 0
          ? await sns.send(new PublishBatchCommand({ ...command.input, PublishBatchRequestEntries: sent }))
          : ({ $metadata: {}, Successful: [], Failed: [] } as PublishBatchCommandOutput);
      return { ...output, Failed: [...(output.Failed ?? []), ...failed] };
    },
  } as unknown as SNSClient;
  return { client, calls };
}

/** An SNS that cannot be reached: every call fails as a connection would. */
export const unreachableSns = {
  send: async () => {
    throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
  },
} as unknown as SNSClient;

/** The stream id of an entry, from its body. */
export function streamOf(entry: PublishBatchRequestEntry): string {
  return (JSON.parse(entry.Message ?? "{}") as { StreamId: string }).StreamId;
}

/** The revision of an entry, from its body. */
export function revisionOf(entry: PublishBatchRequestEntry): number {
  return Number((JSON.parse(entry.Message ?? "{}") as { StreamRevision: string }).StreamRevision);
}
