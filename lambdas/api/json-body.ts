/**
 * Request bodies: decoding, JSON parsing, and where each value sits in the text. The positions let the API
 * keep a payload as the exact text the client sent (see RawJson) instead of re-serialising a parsed value.
 */
import { RawJson } from "#store/raw-json.ts";
import { HttpProblem, problemTypes } from "./problem.ts";

/** Where a JSON value sits in the body text, with its members or elements when it is an object or array. */
export interface JsonNode {
  start: number;
  end: number;
  members?: Map<string, JsonNode>;
  elements?: JsonNode[];
}

export interface JsonBody<T = unknown> {
  value: T;
  root: JsonNode;
  /** The value at `node` exactly as the client wrote it. */
  raw(node: JsonNode): RawJson;
  /** The value and its position at a path of member names and element indexes (within the scanned depth). */
  at(path: (string | number)[]): { value: unknown; node: JsonNode };
}

const jsonMediaType = /^application\/([a-z0-9.+-]+\+)?json$/;

export function parseJsonBody(body: string | undefined, contentType: string | undefined): JsonBody {
  if (contentType !== undefined) {
    const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
    if (!jsonMediaType.test(mediaType)) {
      throw new HttpProblem(
        problemTypes.unsupportedMediaType,
        `send the body as JSON with Content-Type: application/json (got ${mediaType || "none"})`,
      );
    }
  }
  if (!body) throw new HttpProblem(problemTypes.missingBody, "this request needs a JSON body");
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new HttpProblem(problemTypes.malformedJson, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const root = scanJson(body);
  return {
    value,
    root,
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

/**
 * Finds the positions of the values in text that JSON.parse has accepted, down to `depth` levels of members
 * and elements (deeper values are skipped over without recursion, so no nesting can exhaust the stack).
 * Duplicate keys resolve as in JSON.parse: the last one wins.
 */
export function scanJson(text: string, depth = 3): JsonNode {
  let at = 0;
  const skipWhitespace = () => {
    while (at < text.length && (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")) at++;
  };
  const skipString = () => {
    at++;
    while (text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    at++;
  };
  const readString = (): string => {
    const start = at;
    skipString();
    return JSON.parse(text.slice(start, at)) as string;
  };
  /** Moves past one value of any depth, counting brackets instead of recursing. */
  const skipValue = () => {
    let open = 0;
    do {
      skipWhitespace();
      const char = text[at];
      if (char === '"') {
        skipString();
      } else if (char === "{" || char === "[") {
        open++;
        at++;
      } else if (char === "}" || char === "]") {
        open--;
        at++;
      } else if (char === "," || char === ":") {
        at++;
      } else {
        while (at < text.length && !",:]} \t\n\r".includes(text[at] as string)) at++;
      }
    } while (open > 0);
  };
  const readValue = (level: number): JsonNode => {
    skipWhitespace();
    const start = at;
    const first = text[at];
    if (level >= depth || (first !== "{" && first !== "[")) {
      skipValue();
      return { start, end: at };
    }
    at++;
    skipWhitespace();
    if (first === "{") {
      const members = new Map<string, JsonNode>();
      if (text[at] === "}") return { start, end: ++at, members };
      for (;;) {
        skipWhitespace();
        const key = readString();
        skipWhitespace();
        at++; // ':'
        members.set(key, readValue(level + 1));
        skipWhitespace();
        if (text[at++] === "}") return { start, end: at, members };
      }
    }
    const elements: JsonNode[] = [];
    if (text[at] === "]") return { start, end: ++at, elements };
    for (;;) {
      elements.push(readValue(level + 1));
      skipWhitespace();
      if (text[at++] === "]") return { start, end: at, elements };
    }
  };
  return readValue(0);
}
