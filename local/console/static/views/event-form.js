// @ts-check
/**
 * The fields of a new event (event type, JSON payload, optional metadata), shared by the append form and the
 * create-stream form, and the JSON text of the event they describe. The payload goes to the API as the user typed
 * it (once checked to be JSON), so that it is stored exactly so: key order, number spelling and all.
 */
import { field, h, setFieldError } from "../dom.js";

/**
 * @param {string} idPrefix - makes the controls' ids unique on the page
 */
export function eventFields(idPrefix) {
  const eventType = h("input", { id: `${idPrefix}-event-type`, name: "eventType", required: true, maxlength: "256" });
  const payload = h("textarea", { id: `${idPrefix}-payload`, name: "payload", rows: "6", spellcheck: "false" });
  payload.value = "{}";
  const metadata = h("textarea", { id: `${idPrefix}-metadata`, name: "metadata", rows: "2", spellcheck: "false" });
  const elements = [
    field("Event type", eventType),
    field("Payload (JSON)", payload, "Any JSON value; stored exactly as written."),
    field("Metadata (JSON object, optional)", metadata),
  ];
  return {
    elements,
    eventType,
    /**
     * The event as JSON text, or undefined after marking the fields at fault.
     * @returns {string | undefined}
     */
    eventJson() {
      const problems = [
        [eventType, eventType.value ? undefined : "Give the event a type."],
        [payload, jsonProblem(payload.value, false)],
        [metadata, metadata.value.trim() ? jsonProblem(metadata.value, true) : undefined],
      ];
      for (const [control, message] of /** @type {[HTMLInputElement, string | undefined][]} */ (problems)) {
        setFieldError(control, message);
      }
      const firstWrong = problems.find(([, message]) => message);
      if (firstWrong) {
        /** @type {HTMLElement} */ (firstWrong[0]).focus();
        return undefined;
      }
      const members = [`"eventType":${JSON.stringify(eventType.value)}`, `"payload":${payload.value.trim()}`];
      if (metadata.value.trim()) members.push(`"metadata":${metadata.value.trim()}`);
      return `{${members.join(",")}}`;
    },
  };
}

/**
 * What is wrong with a JSON text, if anything.
 * @param {string} text
 * @param {boolean} objectOnly
 */
function jsonProblem(text, objectOnly) {
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `Not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (objectOnly && (typeof value !== "object" || value === null || Array.isArray(value))) {
    return 'Must be a JSON object, e.g. {"by": "me"}.';
  }
  return undefined;
}
