/** The global feed's slice of the OpenAPI document (openapi.ts spreads it in). */
import { FeedEvent, FeedHeadAnswer, FeedPageAnswer, FeedQuery } from "./feed-schema.ts";
import { always, badInput, busy, json, parameters } from "./openapi-parts.ts";

export const feedComponents = { FeedEvent };

export const feedPaths = {
  "/feed": {
    get: {
      operationId: "readFeed",
      summary: "The global feed: every event of every stream in one order, after a position (SPEC section 10)",
      description:
        "Each event has one position, growing in feed order and never reused; a stream's events are in revision " +
        "order. Nothing ever appears at or before a position a reader was served, so lastPosition is a safe " +
        "checkpoint. Filtered by stream type, a read costs in proportion to those types' events.",
      parameters: parameters(FeedQuery, "query"),
      responses: {
        "200": { description: "a page of the feed", ...json(FeedPageAnswer) },
        ...badInput,
        ...busy,
        ...always,
      },
    },
  },
  "/feed/head": {
    get: {
      operationId: "getFeedHead",
      summary: "The newest position of the feed, and how far indexing lags behind the table",
      responses: {
        "200": { description: "the head of the feed", ...json(FeedHeadAnswer) },
        ...busy,
        ...always,
      },
    },
  },
};
