/**
 * A JSON value kept as the text the client sent. Payloads and metadata are stored and returned as this text,
 * so a string stays a string, object keys keep their order and big numbers keep their digits.
 * The text must already be valid JSON (the API checks it before it builds one).
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawJson values verbatim. */
export function stringifyJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((element) => stringifyJson(element ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${stringifyJson(member)}`);
    }
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
