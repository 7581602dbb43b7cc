/**
 * Multi-stream appends from the client's side (`POST /appends`, SPEC section 11): several streams written and
 * others checked, each with its own expectation, all or nothing.
 */
import { type CallOptions, withEventId } from "./common.ts";
import type { Transport } from "./transport.ts";
import type { MultiAppendRequest, MultiAppendResult } from "./types.ts";

export async function appendMany(
  transport: Transport,
  request: MultiAppendRequest,
  options: CallOptions = {},
): Promise<MultiAppendResult> {
  // EventIds fixed before the first attempt: the server answers a repeated append with the original's result.
  const appends = request.appends.map((append) => ({ ...append, events: append.events.map(withEventId) }));
  const body = request.checks === undefined ? { appends } : { appends, checks: request.checks };
  return transport.call("POST", ["appends"], { signal: options.signal, body });
}
