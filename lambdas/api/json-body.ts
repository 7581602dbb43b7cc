/**
 * Request bodies: decoding, JSON parsing, and where each value sits in the text. The positions let the API
 * keep a payload as the exact text the client sent (see RawJson) instead of re-serialising a parsed value.
 * Text that is not UTF-8, or strings that are not well-formed Unicode, are refused here rather than stored
 * with replacement characters.
 */
import { type JsonNode, scanJson } from "#store/json-positions.ts";
import { RawJson } from "#store/raw-json.ts";

export { type JsonNode, scanJson };

import { HttpProblem, type ProblemType, problemTypes } from "./problem.ts";

export interface JsonBody<T = unknown> {
  value: T;
  root: JsonNode;
  /** The value at `node` exactly as the client wrote it. */
  raw(node: JsonNode): RawJson;
  /** The value and its position at a path of member names and element indexes (within the scanned depth). */
  at(path: (string | number)[]): { value: unknown; node: JsonNode };
  /** Where the value holds a string or a member name that is not well-formed Unicode (see illFormedStrings). */
  illFormed(): IllFormedString[];
}

/** A 400 about the body as a whole, of the given type, with `errors.body` saying what is wrong. */
function bodyProblem(type: ProblemType, message: string, detail = `the body ${message}`): HttpProblem {
  return new HttpProblem(type, detail, { members: { errors: { body: [message] } } });
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as text: a base64 body (as a function URL delivers some) decoded as UTF-8, refused when it is not. */
export function decodeBody(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw bodyProblem(problemTypes.malformedJson, "is not valid UTF-8: send JSON encoded as UTF-8");
  }
}

const jsonMediaType = /^application\/([a-z0-9.+-]+\+)?json$/;

/** The media type of a Content-Type header, lower case, without parameters ("" for none). */
function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Whether a Content-Type names JSON (`application/json` or `application/…+json`); local mode checks writes by it. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return jsonMediaType.test(mediaTypeOf(contentType));
}

export function parseJsonBody(body: string | undefined, contentType: string | undefined, depth?: number): JsonBody {
  if (contentType !== undefined) {
    const mediaType = mediaTypeOf(contentType);
    if (!jsonMediaType.test(mediaType)) {
      throw new HttpProblem(
        problemTypes.unsupportedMediaType,
        `send the body as JSON with Content-Type: application/json (got ${mediaType || "none"})`,
      );
    }
  }
  if (!body) throw bodyProblem(problemTypes.missingBody, "is required: a JSON body", "this request needs a JSON body");
  // JSON.parse would refuse it too, but saying what it is helps the client that sent it.
  if (body.startsWith("\uFEFF")) {
    throw bodyProblem(
      problemTypes.malformedJson,
      "starts with a byte order mark (U+FEFF): send the JSON text without one",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw bodyProblem(problemTypes.malformedJson, `is not valid JSON: ${(error as Error).message}`);
  }
  const root = scanJson(body, depth);
  return {
    value,
    root,
    // Only text with a lone surrogate, or an escape of one, can parse to such strings: most bodies skip the walk.
    illFormed: () => (isWellFormed(body) && !surrogateEscape.test(body) ? [] : illFormedStrings(value)),
    raw: (node) => new RawJson(body.slice(node.start, node.end)),
    at: (path) => {
      let found = { value, node: root };
      for (const step of path) {
        const node = typeof step === "number" ? found.node.elements?.[step] : found.node.members?.get(step);
        if (!node) throw new Error(`no value at ${path.join(".")} within the scanned depth`);
        found = { value: (found.value as Record<string | number, unknown>)[step], node };
      }
      return found;
    },
  };
}

/** String.prototype.isWellFormed (Node 20; the compiler's lib is older): no lone surrogate in `text`. */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** An escape of a surrogate (`\uD800` to `\uDFFF`), alone or in a pair. */
const surrogateEscape = /\\u[dD][89a-fA-F]/;

/** A string (or, with `memberName`, the name of a member) that is not well-formed Unicode, by its path. */
export interface IllFormedString {
  path: (string | number)[];
  memberName: boolean;
}

interface Visit {
  value: unknown;
  step?: string | number;
  parent?: Visit;
}

/**
 * The strings and member names in a parsed JSON value that are not well-formed Unicode (they hold a lone
 * surrogate), in document order, at most `most` of them. The walk keeps its own stack, so any depth is fine.
 */
export function illFormedStrings(value: unknown, most = 20): IllFormedString[] {
  const found: IllFormedString[] = [];
  const note = (visit: Visit, memberName: boolean) => {
    const path: (string | number)[] = [];
    for (let at: Visit | undefined = visit; at?.step !== undefined; at = at.parent) path.push(at.step);
    found.push({ path: path.reverse(), memberName });
  };
  const stack: Visit[] = [{ value }];
  while (stack.length > 0 && found.length < most) {
    const visit = stack.pop() as Visit;
    if (typeof visit.step === "string" && !isWellFormed(visit.step)) note(visit, true);
    if (typeof visit.value === "string") {
      if (!isWellFormed(visit.value)) note(visit, false);
    } else if (visit.value !== null && typeof visit.value === "object") {
      // Pushed last to first, so that they are visited first to last.
      const children = Array.isArray(visit.value) ? [...visit.value.entries()] : Object.entries(visit.value);
      for (let index = children.length - 1; index >= 0; index--) {
        const [step, child] = children[index] as [string | number, unknown];
        stack.push({ value: child, step, parent: visit });
      }
    }
  }
  return found;
}
