/** A stream as a whole: create one with its first event, read its details. */
import { randomUUID } from "node:crypto";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { newEventAt, readInput } from "#api/input.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest } from "#api/request.ts";
import { json, streamLocation } from "#api/responses.ts";
import { CreateStreamBody, CreateStreamHeaders, StreamPath, StreamTypePath } from "#api/streams-schema.ts";
import { traceContextOf } from "#api/trace-context.ts";
import { keyedUuid } from "#shared/uuid.ts";
import { WrongExpectedRevisionError } from "#store/errors.ts";
import type { StreamStore } from "#store/stream-store.ts";

/**
 * POST /streams/{type} {"initialEvent"}: a new stream; with Idempotency-Key, the same stream on every retry.
 *
 * The key names the stream: its id (and its first event's) is derived from the key, the stream type and the
 * caller with this deployment's secret, so a retry lands on the same id and the store's idempotent append does the
 * rest — while nobody can compute that id without the secret and write there first, and another caller or another
 * stream type with the same key gets another stream.
 */
export async function createStream(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, headers, body } = readInput(request, {
    path: StreamTypePath,
    headers: CreateStreamHeaders,
    body: CreateStreamBody,
  });
  const { streamType } = path;
  const idempotencyKey = headers["Idempotency-Key"];
  const event = { ...newEventAt(body, "initialEvent"), traceContext: traceContextOf(headers) };
  let streamId: string = randomUUID();
  if (idempotencyKey !== undefined) {
    const secret = await store.deploymentSecret();
    const scope = JSON.stringify([request.caller, streamType, idempotencyKey]);
    streamId = keyedUuid(secret, `stream ${scope}`);
    event.eventId ??= keyedUuid(secret, `initialEvent ${scope}`);
  }
  try {
    const { stream } = await store.append(streamType, streamId, "no-stream", [event]);
    return json(201, { stream }, { location: streamLocation(stream) });
  } catch (error) {
    if (idempotencyKey !== undefined && error instanceof WrongExpectedRevisionError) {
      throw new HttpProblem(
        problemTypes.unprocessable,
        "this Idempotency-Key was used before with another request body; use a new key for a new stream",
      );
    }
    throw error;
  }
}

/** GET /streams/{type}/{id}[/details]: the stream's revision and last update (strongly consistent). */
export async function streamDetails(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path } = readInput(request, { path: StreamPath });
  return json(200, { stream: await store.streamDetails(path.streamType, path.streamId) });
}
