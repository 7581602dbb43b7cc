/**
 * Replays, redrives and the operations that carry them out, and the notifications waiting undelivered, from the
 * client's side. The `EventStoreClient` methods of the same names delegate here and carry the documentation.
 */
import { type CallOptions, pages, timeText } from "./common.ts";
import { sleep } from "./retry.ts";
import type { Transport } from "./transport.ts";
import type {
  AcceptedOperation,
  Operation,
  OperationKind,
  OperationPage,
  OperationState,
  ReplayRequest,
  UndeliveredNotification,
  UndeliveredPage,
} from "./types.ts";

export interface StartReplayOptions extends CallOptions {
  /** Makes a retried start return the same operation; generated per call when absent. */
  idempotencyKey?: string;
}

export interface ListOperationsOptions extends CallOptions {
  kind?: OperationKind;
  state?: OperationState;
  pageSize?: number;
}

export interface ListUndeliveredOptions extends CallOptions {
  pageSize?: number;
}

export interface WaitForOperationOptions extends CallOptions {
  /** Time between polls. Default 500 ms. */
  intervalMs?: number;
}

/** States an operation does not leave. */
const finishedStates: ReadonlySet<OperationState> = new Set(["succeeded", "failed", "canceled"]);

export async function startReplay(
  transport: Transport,
  request: ReplayRequest,
  options: StartReplayOptions = {},
): Promise<AcceptedOperation> {
  const body = "undelivered" in request ? request : { ...request, updatedAfter: timeText(request.updatedAfter) };
  const headers = { "idempotency-key": options.idempotencyKey ?? crypto.randomUUID() };
  return transport.call("POST", ["replays"], { ...options, headers, body });
}

export async function getOperation(transport: Transport, id: string, options: CallOptions = {}): Promise<Operation> {
  return transport.call("GET", ["operations", id], options);
}

export async function waitForOperation(
  transport: Transport,
  id: string,
  options: WaitForOperationOptions = {},
): Promise<Operation> {
  for (;;) {
    const operation = await getOperation(transport, id, options);
    if (finishedStates.has(operation.state)) return operation;
    await sleep(options.intervalMs ?? 500, options.signal);
  }
}

export async function* listOperations(
  transport: Transport,
  options: ListOperationsOptions = {},
): AsyncGenerator<Operation, void, undefined> {
  yield* pages(async (nextPageKey) => {
    const query = { kind: options.kind, state: options.state, limit: options.pageSize, nextPageKey };
    const answer = await transport.call<{ operationPage: OperationPage }>("GET", ["operations"], {
      ...options,
      query,
    });
    return { ...answer.operationPage, items: answer.operationPage.operations };
  });
}

export async function cancelOperation(transport: Transport, id: string, options: CallOptions = {}): Promise<Operation> {
  return transport.call("DELETE", ["operations", id], options);
}

export async function* listUndelivered(
  transport: Transport,
  options: ListUndeliveredOptions = {},
): AsyncGenerator<UndeliveredNotification, void, undefined> {
  yield* pages(async (nextPageKey) => {
    const query = { limit: options.pageSize, nextPageKey };
    const path = ["notifications", "undelivered"];
    const answer = await transport.call<{ undeliveredPage: UndeliveredPage }>("GET", path, {
      ...options,
      query,
    });
    return { ...answer.undeliveredPage, items: answer.undeliveredPage.notifications };
  });
}
