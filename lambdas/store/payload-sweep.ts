/**
 * The payload sweep (SPEC section 12): removes the objects of large payloads that no event names, and uploads that
 * were never appended. The operations worker runs it every hour (local mode: at start and hourly).
 *
 * An append puts its payload objects before its conditional write (large-payloads.ts); an attempt that is refused
 * deletes them at once, but one that dies between the put and the write leaves an object behind. Such an object sits
 * under the hour it was put in, and once that hour ended `sweepGraceMs` ago no append can still commit it. So each run
 * lists the hours from `now - sweepGraceMs - 3 h` to the last hour that ended at least `sweepGraceMs` before now (each
 * hour is looked at about three times: a missed run or two loses nothing), and for each object reads its event item,
 * strongly consistent: an object is kept when the item at its stream and revision names it, and deleted otherwise.
 * The DynamoDB write is the commit point, so an object of an acknowledged event is never removed.
 */
import type { StoreTable } from "./dynamo.ts";
import type { Item } from "./items.ts";
import { payloadHourPrefix, payloadKeyParts, sweepGraceMs, uploadKey, uploadLifetimeMs } from "./large-payloads.ts";
import type { PayloadObjects, StoredObject } from "./payload-objects.ts";
import { tableDefinition } from "./table.ts";

export interface PayloadSweep {
  /** Objects looked at: payload objects of the hours swept, and uploads. */
  checked: number;
  /** Objects deleted: payloads no event names, and uploads older than `uploadLifetimeMs`. */
  deleted: number;
}

const hourMs = 60 * 60 * 1000;
/** Hours each run looks at: the newest one it may sweep and those before it, in case runs were missed. */
const hoursSwept = 3;
/** Objects whose event items are read in one strongly consistent BatchGetItem (its most). */
const pageSize = 100;

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

export async function sweepPayloads(table: StoreTable, objects: PayloadObjects, now: number): Promise<PayloadSweep> {
  const sweep: PayloadSweep = { checked: 0, deleted: 0 };
  // The last hour that ended at least the grace before now, and the hours before it.
  const lastHour = Math.floor((now - sweepGraceMs - hourMs) / hourMs) * hourMs;
  for (let hour = lastHour - (hoursSwept - 1) * hourMs; hour <= lastHour; hour += hourMs) {
    await inPages(objects.list(payloadHourPrefix(hour)), async (page) => {
      sweep.checked += page.length;
      const unnamed = await unnamedObjects(table, page);
      await objects.delete(unnamed);
      sweep.deleted += unnamed.length;
    });
  }
  await inPages(objects.list(uploadKey("")), async (page) => {
    sweep.checked += page.length;
    const expired = page.filter((object) => object.lastModified.getTime() < now - uploadLifetimeMs);
    await objects.delete(expired.map((object) => object.key));
    sweep.deleted += expired.length;
  });
  return sweep;
}

/** The keys of the objects whose event item does not exist or names another object. */
async function unnamedObjects(table: StoreTable, page: StoredObject[]): Promise<string[]> {
  const named = new Map<string, string>();
  const keys = new Map<string, Item>();
  for (const object of page) {
    const parts = payloadKeyParts(object.key);
    if (parts) keys.set(itemId(parts.streamId, parts.revision), { [pk]: parts.streamId, [sk]: parts.revision });
  }
  const items = await table.getItems("operation", [...keys.values()], [pk, sk, "payloadKey"]);
  for (const item of items) named.set(itemId(String(item[pk]), Number(item[sk])), String(item.payloadKey));
  return page
    .filter((object) => {
      const parts = payloadKeyParts(object.key);
      // A key of another shape is none of the store's: left alone.
      return parts !== undefined && named.get(itemId(parts.streamId, parts.revision)) !== object.key;
    })
    .map((object) => object.key);
}

function itemId(streamId: string, revision: number): string {
  return `${streamId}\u0000${revision}`;
}

async function inPages(
  listing: AsyncGenerator<StoredObject>,
  handle: (page: StoredObject[]) => Promise<void>,
): Promise<void> {
  let page: StoredObject[] = [];
  for await (const object of listing) {
    page.push(object);
    if (page.length === pageSize) {
      await handle(page);
      page = [];
    }
  }
  if (page.length > 0) await handle(page);
}
