import { createHash } from "node:crypto";

/**
 * A JSON value kept as the text the client sent. Payloads and metadata are stored and returned as this text,
 * so a string stays a string, object keys keep their order and big numbers keep their digits.
 * The text must already be valid JSON (the API checks it before it builds one).
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify that writes RawJson values verbatim. Node's own serializer does the work (a JavaScript walk of
 * every answer cost more CPU than the rest of a listing's own code): each RawJson is written as a marker string,
 * then the markers are replaced, in order, by the texts. The marker holds control characters, which JSON.stringify
 * escapes in every string it writes, and a per-process random part, so no string of the data can spell it.
 */
export function stringifyJson(value: unknown): string {
  const texts: string[] = [];
  const json = JSON.stringify(value, (_key, member: unknown) => {
    if (!(member instanceof RawJson)) return member;
    texts.push(member.text);
    return rawMarker;
  });
  if (json === undefined) return "null";
  if (texts.length === 0) return json;
  let next = 0;
  return json.replaceAll(serializedMarker, () => texts[next++] as string);
}

const rawMarker = `\u0000raw-json-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}\u0000`;
const serializedMarker = JSON.stringify(rawMarker);

/**
 * A payload kept in S3 because it is larger than the inline threshold (large-payloads.ts): its object, size and
 * SHA-256 (hex), and once a read gave it one, a short-lived URL that reads it.
 */
export class StoredPayload {
  constructor(
    readonly key: string,
    readonly size: number,
    readonly sha256: string,
    readonly url?: string,
  ) {}
}

/** A payload a client uploaded beforehand (`POST /uploads`), named in an append by its upload id. */
export class UploadedPayload {
  constructor(readonly uploadId: string) {}
}

/** The SHA-256 (hex) a stored payload is kept and checked with. */
export function sha256(body: Buffer | string): string {
  return createHash("sha256").update(body).digest("hex");
}
