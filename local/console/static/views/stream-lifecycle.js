// @ts-check
/**
 * The stream page's panel to delete, truncate or limit the stream (SPEC section 13): soft delete, hard delete,
 * truncate before a revision, set the stream's own retention limits (shown with its type's). Each asks for
 * confirmation first, then shows the removal operation it started.
 */
import { call, streamsPath, withQuery } from "../api.js";
import { field, h, panelForm, problemBox, setFieldError } from "../dom.js";
import { href } from "../routes.js";

/**
 * @param {string} streamType
 * @param {string} streamId
 * @param {() => void} onDone - after the stream changed: the page shows it again
 */
export function lifecycleForm(streamType, streamId, onDone) {
  const action = h(
    "select",
    { id: "lifecycle-action", name: "action" },
    h("option", { value: "delete" }, "Delete (soft: 404 from now on; appending again continues it)"),
    h("option", { value: "hard" }, "Delete for good (hard: 410 for ever, never written again)"),
    h("option", { value: "truncate" }, "Truncate: hide the events before a revision"),
    h("option", { value: "retention" }, "Retention: keep only events younger than / the newest …"),
  );
  const maxAge = h("input", { id: "lifecycle-max-age", name: "maxAge", inputmode: "numeric", autocomplete: "off" });
  const maxCount = h("input", {
    id: "lifecycle-max-count",
    name: "maxCount",
    inputmode: "numeric",
    autocomplete: "off",
  });
  const current = h("p", { class: "intro", id: "lifecycle-retention" }, "Retention: …");
  showRetention(streamType, streamId, current);
  const before = h("input", {
    id: "lifecycle-before",
    name: "truncateBefore",
    inputmode: "numeric",
    autocomplete: "off",
  });
  const options = {
    id: "lifecycle",
    title: "Delete or truncate",
    intro: "Hidden at once; a removal operation then deletes the items. Nothing is notified.",
    submitLabel: "Go",
  };
  const fields = [
    field("Action", action),
    field("Truncate before revision", before, "Truncations only."),
    current,
    field("Max age (seconds)", maxAge, "Retention only; empty: its type's."),
    field("Max count", maxCount, "Retention only; empty: its type's."),
  ];
  return panelForm(options, fields, async (result) => {
    const kind = action.value;
    if (kind === "retention") {
      return setRetention(streamType, streamId, { maxAge, maxCount }, result, () => {
        showRetention(streamType, streamId, current);
        onDone();
      });
    }
    const revision = Number(before.value);
    const truncating = kind === "truncate";
    setFieldError(before, truncating && !(Number.isInteger(revision) && revision >= 1) ? "A whole number from 1." : "");
    if (truncating && !(Number.isInteger(revision) && revision >= 1)) return before.focus();
    const question = truncating
      ? `Hide the events of ${streamId} before revision ${revision}? They cannot be read again.`
      : kind === "hard"
        ? `Delete ${streamId} for good? It can never be read or written again.`
        : `Delete ${streamId}? Its events cannot be read again.`;
    if (!window.confirm(question)) return;
    try {
      const answer = truncating
        ? await call(streamsPath(streamType, streamId, "truncation"), {
            method: "POST",
            body: { truncateBefore: revision },
          })
        : await call(withQuery(streamsPath(streamType, streamId), { hard: kind === "hard" ? "true" : undefined }), {
            method: "DELETE",
          });
      const done = answer.id
        ? h("a", { href: href.operation(answer.id) }, "its removal operation")
        : "nothing new was hidden";
      result.append(h("p", { class: "success" }, "Done: ", done, "."));
      onDone();
    } catch (error) {
      result.append(problemBox(error));
    }
  });
}

/**
 * Shows the stream's retention: its own limits, its type's, and what applies.
 * @param {string} streamType
 * @param {string} streamId
 * @param {HTMLElement} into
 */
async function showRetention(streamType, streamId, into) {
  try {
    /** @type {{ retention: { stream: Limits, streamType: Limits, effective: Limits } }} */
    const { retention } = await call(streamsPath(streamType, streamId, "retention"));
    into.replaceChildren(
      `Retention: ${describeLimits(retention.effective)} (its own: ${describeLimits(retention.stream)}; its type's: ${describeLimits(retention.streamType)}).`,
    );
  } catch {
    into.replaceChildren("Retention: unknown (the store did not answer).");
  }
}

/** @typedef {{ maxAge?: number, maxCount?: number }} Limits */

/** @param {Limits} limits */
function describeLimits(limits) {
  const parts = [
    limits.maxAge !== undefined ? `maxAge ${limits.maxAge} s` : undefined,
    limits.maxCount !== undefined ? `maxCount ${limits.maxCount}` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(", ") : "none";
}

/**
 * Sets the stream's own limits after a confirmation (empty fields: none of its own).
 * @param {string} streamType
 * @param {string} streamId
 * @param {{ maxAge: HTMLInputElement, maxCount: HTMLInputElement }} inputs
 * @param {HTMLElement} result
 * @param {() => void} onDone
 */
async function setRetention(streamType, streamId, inputs, result, onDone) {
  /** @type {Limits} */
  const limits = {};
  for (const name of /** @type {const} */ (["maxAge", "maxCount"])) {
    const input = inputs[name];
    const value = input.value.trim() === "" ? undefined : Number(input.value);
    const wrong = value !== undefined && !(Number.isInteger(value) && value >= 1);
    setFieldError(input, wrong ? "A whole number from 1, or empty." : "");
    if (wrong) return input.focus();
    if (value !== undefined) limits[name] = value;
  }
  const question = `Keep ${describeLimits(limits)} of ${streamId}'s own? Events past them are hidden at once and removed.`;
  if (!window.confirm(question)) return;
  try {
    const answer = await call(streamsPath(streamType, streamId, "retention"), { method: "PUT", body: limits });
    result.append(
      h("p", { class: "success" }, "Done: ", h("a", { href: href.operation(answer.id) }, "its removal operation"), "."),
    );
    onDone();
  } catch (error) {
    result.append(problemBox(error));
  }
}
