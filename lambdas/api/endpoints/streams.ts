/** A stream as a whole: create one with its first event, read its details. */
import { randomUUID } from "node:crypto";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { newEventAt, readInput } from "#api/input.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import { json, streamLocation } from "#api/responses.ts";
import type { ApiRequest } from "#api/router.ts";
import { CreateStreamBody, CreateStreamHeaders, StreamPath, StreamTypePath } from "#api/schema.ts";
import { uuidV5 } from "#shared/uuid.ts";
import { WrongExpectedRevisionError } from "#store/errors.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** Namespace of stream ids derived from Idempotency-Key headers (a fixed, random UUID). */
const idempotencyNamespace = "9b5e2f0c-3f7d-4a51-9d4e-6c2a1b8e7f30";

/** POST /streams/{type} {"initialEvent"}: a new stream; with Idempotency-Key, the same stream on every retry. */
export async function createStream(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, headers, body } = readInput(request, {
    path: StreamTypePath,
    headers: CreateStreamHeaders,
    body: CreateStreamBody,
  });
  const { streamType } = path;
  const idempotencyKey = headers["Idempotency-Key"];
  const event = newEventAt(body, "initialEvent");
  let streamId: string = randomUUID();
  if (idempotencyKey !== undefined) {
    // The key names the stream: a retry lands on the same id, and the store's idempotent append does the rest.
    streamId = uuidV5(`${streamType}\n${idempotencyKey}`, idempotencyNamespace);
    event.eventId ??= uuidV5(`${streamType}\n${idempotencyKey}\ninitialEvent`, idempotencyNamespace);
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
