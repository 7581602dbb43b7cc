// @ts-check
/**
 * The forms of `#/operations` that start one: a replay (`POST /replays` with the body of
 * lambdas/api/operation-schema.ts) and a redrive of every undelivered notification. On 202 the page goes to the new
 * operation; a refusal shows its problem (a 400 names the fields). And the erasure of a data subject (`DELETE
 * /subjects/{subject}`, SPEC section 13), which asks for confirmation and is recorded as an operation of its own.
 */
import { call } from "../api.js";
import { field, h, panelForm, problemBox, setFieldError } from "../dom.js";
import { href } from "../routes.js";

/** The replay form: `POST /replays` with the body of lambdas/api/operation-schema.ts; on 202, the new operation. */
export function replayForm() {
  /**
   * @param {string} name
   * @param {Record<string, unknown>} [attributes]
   */
  const input = (name, attributes = {}) =>
    h("input", { id: `replay-${name}`, name, autocomplete: "off", ...attributes });
  const streamType = input("streamType", { required: true });
  const eventTypes = input("eventTypes");
  const streamIds = h("textarea", { id: "replay-streamIds", name: "streamIds", rows: "2", spellcheck: "false" });
  const updatedAfter = input("updatedAfter", { placeholder: "2026-01-02T03:04:05Z" });
  const fromRevision = input("fromRevision", { inputmode: "numeric" });
  const queueUrl = input("queueUrl", { spellcheck: "false" });
  const options = {
    id: "replay",
    title: "Start a replay",
    intro: "Publishes a stream type's events again, in revision order per stream.",
    submitLabel: "Start replay",
  };
  const fields = [
    field("Stream type", streamType),
    h(
      "details",
      { class: "options" },
      h("summary", {}, "Filters and target (optional)"),
      field("Event types", eventTypes, "comma-separated; default: all"),
      field("Stream ids", streamIds, "one per line or comma-separated; default: every stream of the type"),
      field("Updated at or after", updatedAfter, "RFC 3339; only streams updated since"),
      field("From revision", fromRevision, "each stream's events from this revision on"),
      field("Target queue URL", queueUrl, "a local SQS queue; default: the store's topic (every subscriber)"),
    ),
  ];
  return panelForm(options, fields, async (result) => {
    /** @param {string} text */
    const list = (text) =>
      text
        .split(/[\s,]+/)
        .map((value) => value.trim())
        .filter(Boolean);
    const revision = fromRevision.value.trim();
    const revisionWrong = revision !== "" && !/^[1-9]\d{0,14}$/.test(revision);
    setFieldError(fromRevision, revisionWrong ? "A whole number from 1." : undefined);
    if (revisionWrong) {
      fromRevision.closest("details")?.setAttribute("open", "");
      return fromRevision.focus();
    }
    const request = {
      streamType: streamType.value.trim(),
      ...(list(eventTypes.value).length ? { eventTypes: list(eventTypes.value) } : {}),
      ...(list(streamIds.value).length ? { streamIds: list(streamIds.value) } : {}),
      ...(updatedAfter.value.trim() ? { updatedAfter: updatedAfter.value.trim() } : {}),
      ...(revision ? { fromRevision: Number(revision) } : {}),
      ...(queueUrl.value.trim() ? { target: { queueUrl: queueUrl.value.trim() } } : {}),
    };
    await startOperation(request, result);
  });
}

export function redriveForm() {
  const options = {
    id: "redrive",
    title: "Redrive",
    intro: "Publishes every undelivered notification again and clears it (local mode also does so every 10 s).",
    submitLabel: "Redrive now",
  };
  return panelForm(options, [], (result) => startOperation({ undelivered: true }, result));
}

/** Erases a data subject's key (crypto-shredding), after a confirmation: its personal data reads as erased. */
export function erasureForm() {
  const subject = h("input", { id: "erasure-subject", name: "subject", autocomplete: "off", required: true });
  const options = {
    id: "erasure",
    title: "Erase a data subject",
    intro: "Erases the subject's key: its personal values read as [erased] everywhere, for good.",
    submitLabel: "Erase",
  };
  const fields = [field("Subject", subject, "As the events name it, e.g. customer-42.")];
  return panelForm(options, fields, async (result) => {
    const name = subject.value.trim();
    setFieldError(subject, name ? "" : "Name the subject to erase.");
    if (!name) return subject.focus();
    if (!window.confirm(`Erase ${name}? Its personal data can never be read again.`)) return;
    try {
      const { erasure } = await call(`/subjects/${encodeURIComponent(name)}`, { method: "DELETE" });
      result.append(h("p", { class: "success" }, `Erased ${erasure.subject} at ${erasure.erasedAt}.`));
    } catch (error) {
      result.append(problemBox(error));
    }
  });
}

/**
 * `POST /replays`, then the new operation's page; a refusal shows its problem (a 400 names the fields).
 * @param {Record<string, unknown>} request
 * @param {HTMLElement} result
 */
async function startOperation(request, result) {
  try {
    const accepted = await call("/replays", { method: "POST", body: request });
    location.hash = href.operation(accepted.id);
  } catch (error) {
    result.append(problemBox(error));
  }
}
