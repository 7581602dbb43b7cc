/**
 * The part of Lambda's event filtering syntax that the change feed uses, so that local mode drops exactly the
 * records the AWS event source mapping would drop. Supported: nested objects, arrays of literal values
 * (string, number, boolean, null) and `{ "exists": true | false }`. Anything else throws, rather than silently
 * matching differently from AWS.
 */

/** A Lambda event filter pattern (the JSON object given as a FilterCriteria pattern). */
export type FilterPattern = { readonly [key: string]: FilterPattern | readonly FilterCondition[] };

type FilterCondition = string | number | boolean | null | { readonly exists: boolean };

/**
 * True when `record` matches `pattern` as Lambda's event filtering would decide.
 *
 * @param pattern - e.g. `changeFeedFilterPattern`
 * @param record - the record as the function would receive it (a `DynamoDBRecord`)
 */
export function matchesFilterPattern(pattern: FilterPattern, record: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = isObject(record) ? record[key] : undefined;
    if (Array.isArray(expected))
      return (expected as readonly FilterCondition[]).some((c) => matchesCondition(c, actual));
    // Descending into a missing object is fine: its leaves are then absent (which `exists: false` accepts).
    return matchesFilterPattern(expected as FilterPattern, actual);
  });
}

function matchesCondition(condition: FilterCondition, actual: unknown): boolean {
  if (isObject(condition)) {
    if (Object.keys(condition).length !== 1 || typeof condition.exists !== "boolean") {
      throw new Error(`unsupported filter condition ${JSON.stringify(condition)}`);
    }
    // In Lambda's syntax `exists` only applies to leaf values: an object does not "exist" as a leaf.
    const present = actual !== undefined && !isObject(actual);
    return condition.exists === present;
  }
  return Array.isArray(actual) ? actual.includes(condition) : actual === condition;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
