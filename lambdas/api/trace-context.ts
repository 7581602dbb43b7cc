/**
 * W3C Trace Context on appends (SPEC section 14): the `traceparent` and `tracestate` headers of an append are kept
 * with each of its events, apart from the user's metadata, so that notifications, replays, redrives, the feed and
 * every read hand them on. The store keeps what it is given, so it checks it: a header that is not W3C's format is
 * a 400, like any other bad field. A `tracestate` without a `traceparent` means nothing (W3C: it is ignored).
 */
import * as Type from "@sinclair/typebox/type";
import type { TraceContext } from "#store/model.ts";

/**
 * `version-traceid-parentid-flags` in lower-case hex; ids not all zeros, version not `ff`; version 00 is exactly
 * 55 characters, a later version may append fields (W3C: parse what is known, keep the rest).
 */
const traceparentPattern =
  "^(?!ff-)(?!00-.{52}-)(?![0-9a-f]{2}-0{32}-)(?![0-9a-f]{2}-[0-9a-f]{32}-0{16}-)" +
  "[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-[\\x21-\\x7e]+)?$";

/** The headers of every append (single, multi-stream, DCB, a stream's creation). */
export const TraceContextHeaders = Type.Object({
  traceparent: Type.Optional(
    Type.String({
      pattern: traceparentPattern,
      maxLength: 512,
      description: "W3C trace context of the append, kept with each of its events and forwarded with them",
      errorMessage:
        "must be a W3C traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, ids not all zeros",
    }),
  ),
  tracestate: Type.Optional(
    Type.String({
      pattern: "^[\\x20-\\x7e]{1,512}$",
      description: "W3C tracestate (vendor key=value pairs), kept with the traceparent",
      errorMessage:
        "must be a W3C tracestate: at most 512 printable ASCII characters, key=value pairs separated by commas",
    }),
  ),
});

/** The trace context to keep with an append's events, from its checked headers; undefined without a traceparent. */
export function traceContextOf(headers: { traceparent?: string; tracestate?: string }): TraceContext | undefined {
  if (headers.traceparent === undefined) return undefined;
  return { traceparent: headers.traceparent, ...(headers.tracestate ? { tracestate: headers.tracestate } : {}) };
}
