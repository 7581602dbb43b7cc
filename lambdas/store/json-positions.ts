/**
 * Where each value sits in a JSON text that JSON.parse has accepted: the API keeps payloads as the exact text the
 * client sent (json-body.ts), and personal data (personal-data.ts) is cut out of and put back into that text by
 * position, so that the rest of a payload stays byte for byte what was appended.
 */

/** Where a JSON value sits in a JSON text, with its members or elements when it is an object or array. */
export interface JsonNode {
  start: number;
  end: number;
  members?: Map<string, JsonNode>;
  elements?: JsonNode[];
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
