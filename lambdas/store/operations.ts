/**
 * Operations (seed 003) kept durably (seed 004): one item per operation holds its state, progress and the worker's
 * cursor. Every change is a new version written on the condition that the stored one is the version it was made
 * from, so a worker's checkpoint, a redelivered step and a cancel never overwrite each other.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, plainItem, type StoreTable } from "./dynamo.ts";
import type { Item } from "./items.ts";
import type { Operation, OperationKind, OperationPage, OperationState } from "./model.ts";
import {
  operationFromItem,
  operationsPartition,
  putNewOperation,
  putOperationVersion,
  queryOperation,
  queryRecords,
} from "./record-items.ts";
import { decodeRecordsPageKey, mergedRecordsPage } from "./records-page.ts";
import { tableDefinition } from "./table.ts";

const kinds: OperationKind[] = ["replay", "redrive", "removal", "erasure"];

/** Creates `operation` (version 1) unless its id exists; then answers the stored one, `created: false`. */
export async function createOperation(
  table: StoreTable,
  operation: Operation,
): Promise<{ operation: Operation; created: boolean }> {
  try {
    await table.send("operation", (client) => client.send(new PutCommand(putNewOperation(table.tableName, operation))));
    return { operation, created: true };
  } catch (error) {
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    const existing = plainItem((error as { Item?: unknown }).Item);
    const stored = existing ? operationFromItem(existing) : await getOperation(table, operation.id);
    if (!stored) throw error;
    return { operation: stored, created: false };
  }
}

export async function getOperation(table: StoreTable, id: string): Promise<Operation | undefined> {
  const item = (await table.query("operation", queryOperation(table.tableName, id))).Items?.[0];
  return item ? operationFromItem(item) : undefined;
}

/**
 * Writes `next` (its version one more than `expectedVersion`) if the stored operation is still at
 * `expectedVersion`; otherwise answers the stored one, for the caller to decide again.
 */
export async function saveOperation(
  table: StoreTable,
  next: Operation,
  expectedVersion: number,
): Promise<{ saved: true } | { saved: false; current: Operation | undefined }> {
  try {
    await table.send("operation", (client) =>
      client.send(new PutCommand(putOperationVersion(table.tableName, next, expectedVersion))),
    );
    return { saved: true };
  } catch (error) {
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    const stored = plainItem((error as { Item?: unknown }).Item);
    return { saved: false, current: stored ? operationFromItem(stored) : await getOperation(table, next.id) };
  }
}

/** Operations newest last, of one kind or every kind, optionally in one state. */
export async function listOperations(
  table: StoreTable,
  options: {
    kind?: OperationKind | undefined;
    state?: OperationState | undefined;
    limit: number;
    pageKey?: string | undefined;
  },
): Promise<OperationPage> {
  const after = options.pageKey ? decodeRecordsPageKey(options.pageKey) : "";
  const filter = options.state ? { state: options.state } : undefined;
  const items: Item[] = (
    await Promise.all(
      (options.kind ? [options.kind] : kinds).map((kind) =>
        readFiltered(table, kind, after, options.limit + 1, filter),
      ),
    )
  ).flat();
  const { records, hasMore, nextPageKey } = mergedRecordsPage(items, options.limit);
  return { operations: records.map(operationFromItem), hasMore, ...(nextPageKey ? { nextPageKey } : {}) };
}

/** Up to `wanted` operations of a kind after a position that pass the filter (a filter applies after Limit). */
async function readFiltered(
  table: StoreTable,
  kind: OperationKind,
  after: string,
  wanted: number,
  filter: { state: string } | undefined,
): Promise<Item[]> {
  const found: Item[] = [];
  let position = after;
  for (;;) {
    const query = queryRecords(table.tableName, operationsPartition(kind), position, wanted, filter);
    const output = await table.query("operation", query);
    found.push(...(output.Items ?? []));
    const lastKey = output.LastEvaluatedKey;
    if (found.length >= wanted || !lastKey) return found.slice(0, wanted);
    position = String(lastKey[tableDefinition.recordsIndex.sortKey.name]);
  }
}
