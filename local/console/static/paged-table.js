// @ts-check
/**
 * A table that the API fills a page at a time (`hasMore` and `nextPageKey`): a status line, the table (hidden while
 * empty), a place for a problem, and "Load more" while there is more. Stream types and undelivered notifications
 * are listed this way.
 */
import { isAbort } from "./api.js";
import { h, problemBox, statusLine, table } from "./dom.js";

/**
 * @template T
 * @param {object} options
 * @param {string} options.caption - the table's name for screen readers
 * @param {string[]} options.columns
 * @param {(nextPageKey: string | undefined) => Promise<{ items: T[], hasMore: boolean, nextPageKey?: string }>} options.page
 * @param {(item: T) => HTMLTableRowElement} options.row
 * @param {(count: number, hasMore: boolean) => string} options.describe - the status line once a page is shown
 * @param {(error: unknown) => Node | undefined} [options.explain] - what to show instead of an error's problem box
 */
export function pagedTable({ caption, columns, page, row, describe, explain }) {
  const rows = h("tbody");
  const listing = table(caption, columns, rows);
  const status = statusLine("Loading…");
  const problem = h("div");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  /** @type {string | undefined} */
  let nextPageKey;
  let count = 0;

  const load = async () => {
    more.hidden = true;
    problem.replaceChildren();
    status.textContent = "Loading…";
    try {
      const answer = await page(nextPageKey);
      rows.append(...answer.items.map(row));
      count += answer.items.length;
      nextPageKey = answer.hasMore ? answer.nextPageKey : undefined;
      listing.hidden = count === 0;
      more.hidden = !nextPageKey;
      status.textContent = describe(count, Boolean(nextPageKey));
    } catch (error) {
      if (isAbort(error)) return;
      status.textContent = "";
      const explained = explain?.(error);
      if (explained) listing.hidden = true;
      problem.replaceChildren(explained ?? problemBox(error));
    }
  };
  more.addEventListener("click", load);
  return {
    elements: [status, listing, problem, more],
    load,
    /** Starts again from the first page. */
    reload() {
      rows.replaceChildren();
      nextPageKey = undefined;
      count = 0;
      return load();
    },
  };
}
