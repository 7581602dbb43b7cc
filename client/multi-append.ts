/**
 * Multi-stream appends from the client's side (`POST /appends`, SPEC section 11): several streams written and
 * others checked, each with its own expectation, all or nothing.
 */
import type { CallOptions } from "./common.ts";
import type { MultiAppendRequest, MultiAppendResult } from "./consistency-types.ts";
import { eventsToSend } from "./large-payloads.ts";
import type { Transport } from "./transport.ts";

export async function appendMany(
  transport: Transport,
  request: MultiAppendRequest,
  options: CallOptions = {},
): Promise<MultiAppendResult> {
  // EventIds fixed before the first attempt: the server answers a repeated append with the original's result.
  // The request's payloads together decide what goes by upload: all of them are one request.
  const sent = await eventsToSend(
    transport,
    request.appends.flatMap((append) => append.events),
    options.signal,
  );
  let next = 0;
  const appends = request.appends.map((append) => ({
    ...append,
    events: append.events.map(() => sent[next++] as (typeof sent)[number]),
  }));
  const body = request.checks === undefined ? { appends } : { appends, checks: request.checks };
  return transport.call("POST", ["appends"], { signal: options.signal, body });
}
