// @ts-check
/**
 * The stream page's panel to delete or truncate the stream (SPEC section 13): soft delete, hard delete, truncate
 * before a revision. Each asks for confirmation first, then shows the removal operation it started.
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
  );
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
  const fields = [field("Action", action), field("Truncate before revision", before, "Truncations only.")];
  return panelForm(options, fields, async (result) => {
    const kind = action.value;
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
