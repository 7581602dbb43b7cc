// @ts-check
/**
 * What the server says of this console (`GET /_console/config.json`, local/console/pages.ts), read once before the
 * first view: `npm start`'s own store, or a deployed one behind the remote console's signing proxy; whether the forms
 * may write (the remote console is read-only unless started with --allow-writes); whether the live tail is served.
 */

/**
 * @typedef {object} ConsoleConfig
 * @property {"local" | "remote"} mode
 * @property {string} [store] the deployed store's origin (remote mode)
 * @property {boolean} writes
 * @property {boolean} tail
 */

/** @type {ConsoleConfig} */
let current = { mode: "local", writes: true, tail: true };

/**
 * Reads the settings; when they cannot be read the page keeps local mode's (the server refuses what it must anyway).
 * @returns {Promise<ConsoleConfig>}
 */
export async function loadConfig() {
  try {
    const response = await fetch("/_console/config.json", {
      headers: { accept: "application/json" },
      cache: "no-store",
    });
    if (response.ok) current = { ...current, ...(await response.json()) };
  } catch {
    // The first view says so if the server is gone.
  }
  return current;
}

/** The settings read by loadConfig. */
export function config() {
  return current;
}
