/**
 * Every call the store makes to DynamoDB goes through `StoreTable.send`: the one place that reports consumed
 * capacity (for the bench and the cost tests) and turns DynamoDB's throttling and size errors into store errors.
 * The client's retry strategy runs inside each call (in the SDK's middleware, or in dynamodb-wire.ts's loop for the
 * request path's calls); what reaches here has exhausted it.
 */
import type {
  ConsumedCapacity,
  DynamoDBClient,
  PutItemCommandInput,
  PutItemCommandOutput,
  QueryCommandInput as QueryItemsInput,
  QueryCommandOutput as QueryItemsOutput,
  TransactWriteItemsCommandInput,
  TransactWriteItemsCommandOutput,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { DynamoDbWire } from "./dynamodb-wire.ts";
import { ThrottledError, TooLargeError, UnavailableError } from "./errors.ts";
import { type AttributeMap, fromAttributes, type Item, maxItemBytes } from "./items.ts";
import { tableDefinition } from "./table.ts";

/** The store's logical operations, as the capacity hook names them. */
export type StoreOperation =
  | "append"
  | "read"
  | "details"
  | "list"
  | "summary"
  | "feed"
  | "feedRead"
  | "dcb"
  | "snapshot"
  | "streamTypes"
  | "undelivered"
  | "operation"
  | "lifecycle"
  | "subjectKey";

export type CapacityListener = (operation: StoreOperation, capacity: ConsumedCapacity) => void;

export class StoreTable {
  /** The request path's calls (see dynamodb-wire.ts), on the document client's base client. */
  private readonly wire: DynamoDbWire;

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly onConsumedCapacity: CapacityListener | undefined,
    /** Partitions of the listing index per stream type (see table.ts). */
    readonly listingShards: number = tableDefinition.listingShards,
  ) {
    // A document client is a view of its base client: the same configuration object.
    this.wire = new DynamoDbWire(client as unknown as DynamoDBClient);
  }

  async send<Output extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(
    operation: StoreOperation,
    call: (client: DynamoDBDocumentClient) => Promise<Output>,
  ): Promise<Output> {
    let output: Output;
    try {
      output = await call(this.client);
    } catch (error) {
      if (throttlingErrors.has(errorName(error))) throw throttled();
      if (isUnreachable(error)) {
        throw new UnavailableError("DynamoDB did not answer in time or could not be reached", 1);
      }
      if (errorName(error) === "ValidationException" && /item size|size has exceeded/i.test(String(error))) {
        throw new TooLargeError("an event is larger than DynamoDB's item size limit", maxItemBytes);
      }
      throw error;
    }
    if (this.onConsumedCapacity && output.ConsumedCapacity) {
      const consumed = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
      for (const capacity of consumed) this.onConsumedCapacity(operation, capacity);
    }
    return output;
  }

  query(operation: StoreOperation, input: QueryCommand["input"]): Promise<QueryCommandOutput> {
    return this.send(operation, (client) => client.send(new QueryCommand(input)));
  }

  /** A query built in the wire format (items.ts), its items read back by items.ts: no document-client marshalling. */
  async queryItems(
    operation: StoreOperation,
    input: QueryItemsInput,
  ): Promise<{ items: Item[]; lastEvaluatedKey: AttributeMap | undefined }> {
    const output = await this.send(operation, () => this.wire.send<QueryItemsOutput>("Query", input));
    return { items: (output.Items ?? []).map(fromAttributes), lastEvaluatedKey: output.LastEvaluatedKey };
  }

  /**
   * Items by key, strongly consistent (BatchGetItem, 100 keys a call, unprocessed keys asked again with backoff);
   * in no particular order, keys that hold no item left out.
   */
  async getItems(operation: StoreOperation, keys: Item[], projection?: string[]): Promise<Item[]> {
    const found: Item[] = [];
    const names = projection && Object.fromEntries(projection.map((name, index) => [`#p${index}`, name]));
    for (let start = 0; start < keys.length; start += 100) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + 100);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        const requested: Record<string, unknown>[] = pending;
        const output = await this.send(operation, (client) =>
          client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: requested,
                  ConsistentRead: true,
                  ...(names
                    ? { ProjectionExpression: Object.keys(names).join(", "), ExpressionAttributeNames: names }
                    : {}),
                },
              },
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        );
        found.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, Math.min(20 * 2 ** attempt, 1000)));
      }
    }
    return found;
  }

  putItem(operation: StoreOperation, input: PutItemCommandInput): Promise<unknown> {
    return this.send(operation, () => this.wire.send<PutItemCommandOutput>("PutItem", input));
  }

  transactWriteItems(operation: StoreOperation, input: TransactWriteItemsCommandInput): Promise<unknown> {
    return this.send(operation, () => this.wire.send<TransactWriteItemsCommandOutput>("TransactWriteItems", input));
  }
}

const throttlingErrors = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** A timeout (see shared/aws-clients.ts) or a refused or broken connection: DynamoDB is not there right now. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return errorName(error) === "TimeoutError" || unreachableCodes.has(String(code));
}

// Refused, reset or broken connections, and names that do not resolve (right now: EAI_AGAIN; at all: ENOTFOUND).
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

export function throttled(): ThrottledError {
  return new ThrottledError("DynamoDB is throttling this table; retry shortly");
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/** Items in SDK exceptions come in DynamoDB's wire format even through the document client. */
export function plainItem(item: unknown): Item | undefined {
  if (!item || typeof item !== "object") return undefined;
  const key = (item as Record<string, unknown>)[tableDefinition.partitionKey.name];
  const wireFormat = key !== null && typeof key === "object";
  return wireFormat ? unmarshall(item as Parameters<typeof unmarshall>[0]) : (item as Item);
}
