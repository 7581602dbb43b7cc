/**
 * Part 13: personal data (crypto-shredding, SPEC section 13), through the store on a DynamoDB Local of its own with
 * the subject keys table and local mode's key wrapper, whose calls stand for KMS calls in AWS (GenerateDataKey for
 * `newKey`, Decrypt for `unwrap`): counted by a wrapper around it.
 *
 * - **appends** of the same event (a customer's name, e-mail, address and plan; IP in the metadata): plain; with
 *   personal data (`/payload/email`, `/payload/address`, `/metadata/ip`) for a new subject (its key is made: a
 *   conditional put on the keys table and one wrap); and again for that subject (its key cached). Each metered on
 *   the capacity meter (capacity-meter.ts), which sees the keys table's calls too; bytes are the stored event item's
 *   as DynamoDB counts them.
 * - **reads** of the personal event back (`readEvents`, one event): warm (the writer's process, key cached), cold (a
 *   new store: a new process, empty cache: one keys-table read and one unwrap), and after the erasure (the tombstone
 *   read, no unwrap).
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ensureSubjectKeysTable } from "#local/table.ts";
import { itemSizeBytes } from "#store/items.ts";
import { countingKeyWrapper, localKeyWrapper } from "#store/key-wrapping.ts";
import type { NewEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { CapacityMeter, Units } from "./capacity-meter.ts";
import { newStreamId } from "./events.ts";
import { withMeteredDynamoDb } from "./metered-dynamodb.ts";

export interface ShreddingRow {
  name: string;
  /** Write and read units of the operation (keys table included). */
  units: Units;
  /** Key wrapper calls: KMS GenerateDataKey and Decrypt in AWS. */
  newKeys: number;
  unwraps: number;
  /** The stored event item's bytes (appends only). */
  itemBytes?: number;
  /** Every check of the row held (values read back, or "[erased]" after the erasure). */
  holds: boolean;
}

export interface ShreddingResult {
  payloadBytes: number;
  appends: ShreddingRow[];
  reads: ShreddingRow[];
}

const tableName = "shredding";
const keysTable = "shredding-subject-keys";
const streamType = "bench-customer";

const payload =
  '{"name":"Ada Lovelace","email":"ada@example.com","address":{"street":"12 St James\'s Square","city":"London"},' +
  '"plan":"gold","marketing":true}';
const metadata = '{"ip":"192.0.2.1","channel":"web"}';

export async function measureCryptoShredding(options: {
  progress: (message: string) => void;
}): Promise<ShreddingResult> {
  return withMeteredDynamoDb(tableName, async ({ admin, client, meter }) => {
    await ensureSubjectKeysTable(admin, keysTable);
    const wrapper = countingKeyWrapper(localKeyWrapper(Buffer.alloc(32, 1)));
    const newStore = () => new StreamStore({ client, tableName, subjectKeys: { tableName: keysTable, wrapper } });
    const store = newStore();
    options.progress("   a plain append, appends with personal data (new subject, known subject), reads back");
    // Each code path once before anything is measured.
    await store.append(streamType, newStreamId(), "no-stream", [event("warm-up")]);

    const append = async (name: string, subject: string | undefined): Promise<{ row: ShreddingRow; id: string }> => {
      const id = newStreamId();
      const { units, calls } = await metered(meter, wrapper, () =>
        store.append(streamType, id, "no-stream", [event(subject)]),
      );
      const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: id, sk: 1 } }))).Item ?? {};
      const sealed = subject === undefined || !String(item.payload).includes("ada@example.com");
      return { row: { name, units, ...calls, itemBytes: itemSizeBytes(item), holds: sealed }, id };
    };
    const subject = `customer-${newStreamId()}`;
    const plain = await append("plain (no personal data)", undefined);
    const first = await append("personal data, new subject (key made)", subject);
    const known = await append("personal data, known subject (key cached)", subject);

    const read = async (name: string, reader: StreamStore, expected: string, id = first.id): Promise<ShreddingRow> => {
      const { result, units, calls } = await metered(meter, wrapper, () =>
        reader.readEvents(streamType, id, { direction: "forward", limit: 1 }),
      );
      const text = (result.events[0]?.payload as RawJson | undefined)?.text ?? "";
      return { name, units, ...calls, holds: text.includes(expected) };
    };
    const reads = [
      await read("plain event", store, "ada@example.com", plain.id),
      await read("personal, warm (key cached)", store, "ada@example.com"),
      await read("personal, cold (new process)", newStore(), "ada@example.com"),
    ];
    await store.eraseSubject(subject, "bench");
    reads.push(await read("personal, after erasure (new process)", newStore(), '"email":"[erased]"'));
    return { payloadBytes: Buffer.byteLength(payload), appends: [plain.row, first.row, known.row], reads };
  });
}

function event(subject: string | undefined): NewEvent {
  const base = { eventType: "CustomerRegistered", payload: new RawJson(payload), metadata: new RawJson(metadata) };
  if (subject === undefined || subject === "warm-up") return base;
  return { ...base, subject, personalData: ["/payload/email", "/payload/address", "/metadata/ip"] };
}

type CountingWrapper = ReturnType<typeof countingKeyWrapper>;

/** What `work` cost: capacity units and key wrapper calls. */
async function metered<T>(
  meter: CapacityMeter,
  wrapper: CountingWrapper,
  work: () => Promise<T>,
): Promise<{ result: T; units: Units; calls: { newKeys: number; unwraps: number } }> {
  const before = { ...wrapper.calls };
  const { result, units } = await meter.measure(work);
  const calls = { newKeys: wrapper.calls.newKey - before.newKey, unwraps: wrapper.calls.unwrap - before.unwrap };
  return { result, units, calls };
}
