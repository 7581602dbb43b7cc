// @ts-check
/**
 * The local console: a hash router over its views. Each view renders into `<main>` from the public HTTP API (and
 * the tail from the one local event stream); leaving a view aborts what it still has running.
 */
import { isAbort } from "./api.js";
import { loadConfig } from "./config.js";
import { h, heading, problemBox } from "./dom.js";
import { href, parseHash } from "./routes.js";
import { feedView } from "./views/feed.js";
import { operationsView, operationView } from "./views/operations.js";
import { streamView } from "./views/stream.js";
import { tailView } from "./views/tail.js";
import { streamsOfTypeView, typesView } from "./views/types.js";

/** @typedef {import("./routes.js").View} View */

/**
 * Path patterns (`:` captures a segment), the navigation entry each belongs to, and its view.
 * @type {{ pattern: string[], nav: string, view: View }[]}
 */
const routes = [
  { pattern: [], nav: "types", view: typesView },
  { pattern: ["types"], nav: "types", view: typesView },
  { pattern: ["types", ":"], nav: "types", view: streamsOfTypeView },
  { pattern: ["streams", ":", ":"], nav: "types", view: streamView },
  { pattern: ["feed"], nav: "feed", view: feedView },
  { pattern: ["tail"], nav: "tail", view: tailView },
  { pattern: ["operations"], nav: "operations", view: operationsView },
  { pattern: ["operations", ":"], nav: "operations", view: operationView },
];

let leaving = new AbortController();

/**
 * Renders the view of the current hash.
 * @param {boolean} moveFocus - after a navigation: the view's heading takes the focus
 */
async function render(moveFocus) {
  leaving.abort();
  leaving = new AbortController();
  const { signal } = leaving;
  const main = /** @type {HTMLElement} */ (document.getElementById("main"));
  main.replaceChildren();
  const route = parseHash(location.hash);
  const found = route && match(route.segments);
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.getAttribute("data-nav") === found?.route.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  /** @param {string} title */
  const setTitle = (title) => {
    document.title = `${title} · Event store console`;
  };
  if (!route || !found) {
    setTitle("Not found");
    main.append(
      heading("Nothing here"),
      h("p", {}, "The console has no view at this address. ", h("a", { href: href.types() }, "See the stream types.")),
    );
    if (moveFocus) main.querySelector("h1")?.focus();
    return;
  }
  try {
    const rendering = found.route.view({ main, params: found.params, query: route.query, signal, setTitle });
    if (moveFocus) main.querySelector("h1")?.focus();
    await rendering;
  } catch (error) {
    if (!isAbort(error) && !signal.aborted) main.append(problemBox(error));
  }
}

/** @param {string[]} segments */
function match(segments) {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    if (route.pattern.every((part, index) => part === ":" || part === segments[index])) {
      const params = segments.filter((_, index) => route.pattern[index] === ":");
      return { route, params };
    }
  }
  return undefined;
}

/**
 * Says on every view which store this is and whether it may write; leaves out the live tail where it is not served.
 * @param {import("./config.js").ConsoleConfig} settings
 */
function showMode({ mode, store, writes, tail }) {
  const label = /** @type {HTMLElement} */ (document.getElementById("mode"));
  const note = /** @type {HTMLElement} */ (document.getElementById("footer-note"));
  for (const link of document.querySelectorAll('[data-nav="tail"]'))
    link.closest("li")?.toggleAttribute("hidden", !tail);
  if (mode !== "remote") return;
  const host = store ? new URL(store).host : "a deployed store";
  label.textContent = `console of ${host}${writes ? "" : " · read-only"}`;
  note.textContent =
    `This page reads the store at ${store ?? host} through a proxy on this machine that signs each call with your ` +
    `AWS credentials. ${writes ? "Started with --allow-writes: its forms write to the store." : "Read-only: restart it with --allow-writes to write."} ` +
    "The Feed view follows the store's global feed. See docs/console.md.";
}

showMode(await loadConfig());
window.addEventListener("hashchange", () => render(true));
render(false);
