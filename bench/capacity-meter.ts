/**
 * Sums the capacity DynamoDB reports (`ReturnConsumedCapacity`) for every call a piece of work makes, split into
 * reads, table writes and index writes. It sees every HTTP exchange of the client, so it sees the calls of
 * the store and of the baseline alike, with the name of each action (the store's own capacity hook tells the
 * logical operation but not whether a call read or wrote).
 *
 * Transactions are priced apart. DynamoDB Local reports a TransactWriteItems call as 4 units per KB of its
 * largest item whatever the number of items (10 puts of 400 B: 4), while AWS bills each item of the
 * transaction twice (prepare and commit). So every action of a successful transaction is replayed as a plain
 * write on a twin table of the same layout, whose single-item figures DynamoDB Local gets right (index upkeep
 * included, a sort-key change as delete + put); its table units are doubled, its index units kept: index
 * writes follow the commit like those of any write. The twin receives only replayed transactions, which is
 * exact as long as the transactions measured do not depend on items written outside transactions (the
 * baseline writes only in transactions; the store's transactions put new event items, which carry no index key).
 */
import { Readable } from "node:stream";
import {
  type ConsumedCapacity,
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { interceptExchanges } from "#store/dynamodb-wire.ts";
import { createTableInput } from "#store/table.ts";

/** Request units of one logical operation. */
export interface Units {
  /** Read request units (strongly consistent: 1 per 4 KB; eventually consistent: half that). */
  read: number;
  /** Write request units on the table (1 per KB; twice that inside a transaction). */
  tableWrite: number;
  /** Write request units on global secondary indexes (a sort-key change is a delete plus a put). */
  indexWrite: number;
  /** DynamoDB calls made. */
  calls: number;
}

export function totalWrite(units: Units): number {
  return units.tableWrite + units.indexWrite;
}

export function addUnits(a: Units, b: Units): Units {
  return {
    read: a.read + b.read,
    tableWrite: a.tableWrite + b.tableWrite,
    indexWrite: a.indexWrite + b.indexWrite,
    calls: a.calls + b.calls,
  };
}

export const noUnits: Units = { read: 0, tableWrite: 0, indexWrite: 0, calls: 0 };

/** Where transactions are replayed: an unmetered client and the twin of each table. */
export interface TransactionTwin {
  client: DynamoDBClient;
  twinOf: (tableName: string) => string;
}

/** The name of a table's twin (create it with the table's own definition, minus the stream). */
/** Creates the twin of the store's table `tableName` (its layout without a stream) that transactions are replayed on. */
export async function createTwinTable(admin: DynamoDBClient, tableName: string): Promise<void> {
  const { StreamSpecification: _stream, ...twin } = createTableInput(twinTableName(tableName));
  await admin.send(new CreateTableCommand(twin));
  await waitUntilTableExists({ client: admin, maxWaitTime: 60 }, { TableName: twin.TableName });
}

export function twinTableName(tableName: string): string {
  return `${tableName}-capacity-twin`;
}

const readActions = new Set(["GetItem", "Query", "Scan", "BatchGetItem"]);

type CapacityOutput = { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };

export class CapacityMeter {
  private recording: Units | undefined;

  constructor(private readonly twin: TransactionTwin) {}

  /**
   * Adds the meter where every call of a client goes over the wire (a document client shares its base client's
   * configuration), so that it sees the store's calls whichever way they are sent. It counts the calls DynamoDB
   * answered with success, as the bill does.
   */
  attach(client: DynamoDBClient | DynamoDBDocumentClient): void {
    interceptExchanges(client, async (request, send) => {
      const response = await send(request);
      if (!this.recording || response.statusCode !== 200) return response;
      const body = await collect(response.body as Readable);
      response.body = Readable.from([body]); // the caller reads the answer after the meter
      this.recording.calls += 1;
      const action = String(request.headers["x-amz-target"]).split(".").pop();
      if (action === "TransactWriteItems") {
        const input = JSON.parse(String(request.body)) as { TransactItems?: TransactWriteItem[] };
        await this.recordTransaction(input.TransactItems ?? []);
      } else {
        const consumed = (JSON.parse(body.toString("utf8")) as CapacityOutput).ConsumedCapacity;
        if (consumed) this.record(readActions.has(String(action)), consumed, 1);
      }
      return response;
    });
  }

  /** Runs `work` alone on the metered clients and returns what it consumed. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; units: Units }> {
    if (this.recording) throw new Error("capacity measurements must not overlap");
    this.recording = { ...noUnits };
    try {
      const result = await work();
      return { result, units: this.recording };
    } finally {
      this.recording = undefined;
    }
  }

  private record(read: boolean, consumed: ConsumedCapacity | ConsumedCapacity[], tableFactor: number): void {
    const units = this.recording as Units;
    for (const capacity of Array.isArray(consumed) ? consumed : [consumed]) {
      const total = capacity.CapacityUnits ?? 0;
      if (read) {
        units.read += total;
        continue;
      }
      const index = Object.values(capacity.GlobalSecondaryIndexes ?? {}).reduce(
        (sum, entry) => sum + (entry.CapacityUnits ?? 0),
        0,
      );
      units.indexWrite += index;
      units.tableWrite += (capacity.Table?.CapacityUnits ?? total - index) * tableFactor;
    }
  }

  private async recordTransaction(actions: TransactWriteItem[]): Promise<void> {
    for (const action of actions) {
      const output = await this.replay(action);
      if (output.ConsumedCapacity) this.record(false, output.ConsumedCapacity, 2);
    }
  }

  private replay(action: TransactWriteItem): Promise<CapacityOutput> {
    const { client, twinOf } = this.twin;
    if (action.Put) {
      const { TableName, Item } = action.Put;
      return client.send(
        new PutItemCommand({ TableName: twinOf(String(TableName)), Item, ReturnConsumedCapacity: "INDEXES" }),
      );
    }
    if (action.Update) {
      const { TableName, Key, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } = action.Update;
      const expression = String(UpdateExpression);
      // The condition is left behind (the transaction checked it), and DynamoDB refuses unused placeholders.
      return client.send(
        new UpdateItemCommand({
          TableName: twinOf(String(TableName)),
          Key,
          UpdateExpression: expression,
          ExpressionAttributeNames: usedIn(expression, ExpressionAttributeNames),
          ExpressionAttributeValues: usedIn(expression, ExpressionAttributeValues),
          ReturnConsumedCapacity: "INDEXES",
        }),
      );
    }
    if (action.Delete) {
      const { TableName, Key } = action.Delete;
      return client.send(
        new DeleteItemCommand({ TableName: twinOf(String(TableName)), Key, ReturnConsumedCapacity: "INDEXES" }),
      );
    }
    throw new Error("the capacity meter prices Put, Update and Delete actions of transactions only");
  }
}

function usedIn<T>(expression: string, placeholders: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!placeholders) return undefined;
  const used = Object.entries(placeholders).filter(([name]) =>
    new RegExp(`${name.replace(/[$^.*+?()[\]{}|\\]/g, "\\$&")}(?![A-Za-z0-9_])`).test(expression),
  );
  return used.length > 0 ? Object.fromEntries(used) : undefined;
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
