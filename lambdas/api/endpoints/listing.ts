/** Streams of a type, by the time of their last event; and the stream types, by name. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { epochMillis, invalidInput, readInput } from "#api/input.ts";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
import { PageQuery } from "#api/schema.ts";
import { ListStreamsQuery, StreamTypePath } from "#api/streams-schema.ts";
import { InvalidInputError } from "#store/errors.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** 0000-01-01T00:00:00.000Z, before any stream existed: the default of `updated-after`. */
const beginningOfTime = -62_167_219_200_000;

/** GET /streams/{type}?updated-after=T: streams of a type by time of their last event (lags the change feed). */
export async function listStreams(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, query } = readInput(request, { path: StreamTypePath, query: ListStreamsQuery });
  const updatedAfter = query["updated-after"];
  // The Go client sends its key as stream-next-page-key; a 400 about the key names the parameter it came in.
  if (query.nextPageKey && query["stream-next-page-key"]) {
    const both = "is the same page key as the other one: send nextPageKey or stream-next-page-key, not both";
    throw invalidInput({ nextPageKey: [both], "stream-next-page-key": [both] });
  }
  const keyField = query.nextPageKey ? "nextPageKey" : "stream-next-page-key";
  const pageKey = query[keyField] || undefined;
  try {
    const streamPage = await store.listStreams(path.streamType, {
      updatedAfter: updatedAfter === undefined ? beginningOfTime : (epochMillis(updatedAfter) as number),
      pageKey,
      limit: query.limit,
    });
    return json(200, { streamPage });
  } catch (error) {
    const keyErrors = error instanceof InvalidInputError ? error.errors.nextPageKey : undefined;
    if (keyErrors && keyField !== "nextPageKey") throw invalidInput({ [keyField]: keyErrors });
    throw error;
  }
}

/** GET /streams: the stream types in name order, each with its number of streams (lags the change feed). */
export async function listStreamTypes(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { query } = readInput(request, { query: PageQuery });
  const streamTypePage = await store.listStreamTypes({ limit: query.limit, pageKey: query.nextPageKey || undefined });
  return json(200, { streamTypePage });
}
