// @ts-check
/**
 * Reading the global feed backwards, newest first. The API reads forward only (`GET /feed?after=P`), so the events
 * before a position are read forward from an earlier one: a window of whole batches below it. The i-th event of
 * batch B is at position B × 16384 + i and batches are numbered 1, 2, 3, …, so a window that starts at a batch
 * boundary holds every event between its start and the position it ends at, whatever gaps the positions have.
 * A window with too few events is followed by a wider one below it; one with many more than wanted makes the next
 * one narrower, so that a dense feed is not read far beyond what is shown.
 */

/** @typedef {import("./api.js").FeedEvent} FeedEvent */
/** @typedef {import("./api.js").FeedPage} FeedPage */
/** @typedef {(after: number, limit: number) => Promise<FeedPage>} ReadPage */

/** Positions per batch: batch B's events are at B × 16384 + 0, 1, 2, … */
export const batchCapacity = 2 ** 14;
/** The first window: enough for a page when each batch holds a few events (appends one by one). */
export const firstWindowBatches = 16;
const maxWindowBatches = 2 ** 24;
/** Events per request while a window is read. */
const rangePageSize = 500;

/**
 * The newest `want` events before position `before` (not including it), newest first.
 * @param {ReadPage} read - one page of the feed after a position, with the view's filters
 * @param {{ before: number, want: number, batches: number }} from - `batches`: the width of the first window
 * @returns {Promise<{ events: FeedEvent[], before: number | undefined, batches: number }>} the events; where the
 *   next read goes on (undefined: the start of the feed is reached); the window to start it with
 */
export async function readBefore(read, { before, want, batches }) {
  /** @type {FeedEvent[]} */
  const found = [];
  let upper = before;
  let width = batches;
  while (found.length < want && upper > 1) {
    const topBatch = Math.floor((upper - 1) / batchCapacity);
    // Just before the first position of the window's lowest batch; 0 reads from the start of the feed.
    const after = Math.max(0, (topBatch - width + 1) * batchCapacity - 1);
    const inWindow = await readRange(read, after, upper);
    found.push(...inWindow.reverse());
    width = nextWidth(width, inWindow.length, want);
    upper = after + 1;
  }
  if (found.length > want) {
    const kept = found.slice(0, want);
    // The rest of this window is read again on the next call: it starts below the oldest event kept.
    return { events: kept, before: kept[kept.length - 1]?.position, batches: width };
  }
  return { events: found, before: upper > 1 ? upper : undefined, batches: width };
}

/**
 * The events after `after` and before `upper`, oldest first.
 * @param {ReadPage} read
 * @param {number} after
 * @param {number} upper
 */
async function readRange(read, after, upper) {
  /** @type {FeedEvent[]} */
  const events = [];
  let cursor = after;
  for (;;) {
    const page = await read(cursor, rangePageSize);
    for (const event of page.events) {
      if (event.position >= upper) return events;
      events.push(event);
    }
    if (!page.hasMore || page.lastPosition >= upper - 1 || page.lastPosition <= cursor) return events;
    cursor = page.lastPosition;
  }
}

/**
 * The next window's width in batches: four times as wide after an empty one, else as wide as the last one's density
 * says `want` events take.
 * @param {number} width
 * @param {number} count - events the last window held
 * @param {number} want
 */
function nextWidth(width, count, want) {
  const next = count === 0 ? width * 4 : Math.ceil((width * want) / count);
  return Math.min(maxWindowBatches, Math.max(1, next));
}
