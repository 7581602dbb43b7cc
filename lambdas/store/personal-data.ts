/**
 * Personal data of an event and its erasure by crypto-shredding (SPEC section 13).
 *
 * An event may name a data subject and, as JSON Pointers (RFC 6901), which of its values are personal: `/payload`
 * (the whole payload) or values inside the payload and the metadata (`/payload/email`, `/metadata/ip`). On append
 * those values (their exact JSON text, in pointer order) are encrypted with the subject's data key (AES-256-GCM, a
 * random 96-bit IV per event, the subject and the eventId bound as additional data) into the item's `sealed`
 * attribute; the item's payload and metadata keep everything else, each personal value replaced by the placeholder
 * `"[erased]"`. A read puts the values back while the subject's key lives; once it is erased (subject-keys.ts) the
 * placeholders stay, and the event says `erased: true`. Everything else of the event is never encrypted.
 *
 * A retry of an append cannot be recognised by its ciphertext (the IV differs), and a plain hash of the values would
 * outlive the erasure and let anyone confirm a guess: the item keeps an HMAC-SHA256 of them keyed by the data key
 * (`personalMac`), which dies with the key as well.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { InvalidInputError } from "./errors.ts";
import { type JsonNode, scanJson } from "./json-positions.ts";
import { RawJson } from "./raw-json.ts";

/** What a personal value reads as once its subject was erased (and what the item keeps in its place). */
export const erasedPlaceholder = "[erased]";
const placeholderText = JSON.stringify(erasedPlaceholder);
/** The most personal values one event may name. */
export const maxPersonalPointers = 32;

/** An event's personal values, sealed: as the event item keeps them. */
export interface SealedPersonalData {
  subject: string;
  /** The pointers, as appended. */
  pointers: string[];
  /** IV (12 bytes) | ciphertext | GCM tag (16 bytes). */
  sealed: Uint8Array;
  /** HMAC-SHA256 (base64) of the plaintext under the data key: how a retry is recognised. */
  mac: string;
}

/** What a reader learns about an event's personal data besides the values. */
export interface PersonalDataMarks {
  subject: string;
  personalData: string[];
  /** True when the subject was erased: the personal values read as the placeholder. */
  erased?: boolean | undefined;
}

type Part = "payload" | "metadata";

interface Located {
  part: Part;
  node: JsonNode;
}

/** The RFC 6901 reference tokens of a pointer (`~1` is `/`, `~0` is `~`). */
function tokensOf(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The node a pointer names in the event's payload or metadata text; a message when it names none. */
function locate(pointer: string, texts: Record<Part, string | undefined>): Located | string {
  const [part, ...path] = tokensOf(pointer);
  if (part !== "payload" && part !== "metadata") return "must start with /payload or /metadata";
  if (part === "metadata" && path.length === 0) return "must name a value inside the metadata (e.g. /metadata/ip)";
  const text = texts[part];
  if (text === undefined) return `names ${part}, which this event does not have`;
  let node: JsonNode | undefined = scanJson(text, path.length);
  for (const token of path) {
    if (node.members) node = node.members.get(token);
    else if (node.elements && /^(0|[1-9][0-9]*)$/.test(token)) node = node.elements[Number(token)];
    else node = undefined;
    if (!node) return `names no value of this event: ${pointer}`;
  }
  return { part, node };
}

/**
 * Checks the pointers of one event against its payload and metadata: each names a value present in the event, none
 * twice, none inside another. `field` names the event's personalData in errors (`events[0].personalData`).
 */
export function checkPersonalData(
  pointers: string[],
  texts: Record<Part, string | undefined>,
  field: string,
): InvalidInputError | undefined {
  const errors: Record<string, string[]> = {};
  const spans: (Located & { pointer: string })[] = [];
  pointers.forEach((pointer, index) => {
    const located = locate(pointer, texts);
    if (typeof located === "string") {
      errors[`${field}[${index}]`] = [located];
      return;
    }
    const overlapping = spans.find(
      (other) =>
        other.part === located.part && other.node.start < located.node.end && located.node.start < other.node.end,
    );
    if (overlapping) errors[`${field}[${index}]`] = [`overlaps ${overlapping.pointer}: name each value once`];
    spans.push({ ...located, pointer });
  });
  return Object.keys(errors).length > 0 ? new InvalidInputError(`invalid ${field}: see errors`, errors) : undefined;
}

/** The texts with the values at `pointers` replaced, each by what `replace` gives for its index; and the old values. */
function replaceValues(
  texts: Record<Part, string | undefined>,
  pointers: string[],
  replace: (index: number) => string,
): { texts: Record<Part, string | undefined>; values: string[] } {
  const located = pointers.map((pointer) => {
    const found = locate(pointer, texts);
    if (typeof found === "string") throw new InvalidInputError(`personal data: ${found}`, { personalData: [found] });
    return found;
  });
  const values = located.map(({ part, node }) => (texts[part] as string).slice(node.start, node.end));
  const result = { ...texts };
  for (const part of ["payload", "metadata"] as const) {
    const inPart = located.map((entry, index) => ({ ...entry, index })).filter((entry) => entry.part === part);
    // From the end, so that each replacement leaves the positions before it as they were.
    inPart.sort((a, b) => b.node.start - a.node.start);
    let text = texts[part];
    for (const { node, index } of inPart) {
      text = `${(text as string).slice(0, node.start)}${replace(index)}${(text as string).slice(node.end)}`;
    }
    result[part] = text;
  }
  return { texts: result, values };
}

function additionalData(subject: string, eventId: string): Buffer {
  return Buffer.from(JSON.stringify([subject, eventId]), "utf8");
}

/**
 * Seals an event's personal values with its subject's data key: the payload and metadata with placeholders, and the
 * sealed values. The pointers were checked (checkPersonalData).
 */
export function sealPersonalData(
  event: { payload: RawJson; metadata?: RawJson | undefined; eventId: string },
  personal: { subject: string; pointers: string[] },
  dataKey: Buffer,
): { payload: RawJson; metadata: RawJson | undefined; sealed: SealedPersonalData } {
  const { texts, values } = replaceValues(
    { payload: event.payload.text, metadata: event.metadata?.text },
    personal.pointers,
    () => placeholderText,
  );
  const plaintext = Buffer.from(JSON.stringify(values), "utf8");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", dataKey, iv);
  cipher.setAAD(additionalData(personal.subject, event.eventId));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    payload: new RawJson(texts.payload as string),
    metadata: texts.metadata === undefined ? undefined : new RawJson(texts.metadata),
    sealed: {
      subject: personal.subject,
      pointers: personal.pointers,
      sealed: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      mac: createHmac("sha256", dataKey).update(plaintext).digest("base64"),
    },
  };
}

/** The payload and metadata with the personal values put back from `sealed`, decrypted with the subject's data key. */
export function unsealPersonalData(
  event: { payload: RawJson; metadata?: RawJson | undefined; eventId: string },
  sealed: Pick<SealedPersonalData, "subject" | "pointers" | "sealed">,
  dataKey: Buffer,
): { payload: RawJson; metadata: RawJson | undefined } {
  const bytes = Buffer.from(sealed.sealed);
  const decipher = createDecipheriv("aes-256-gcm", dataKey, bytes.subarray(0, 12));
  decipher.setAAD(additionalData(sealed.subject, event.eventId));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const plaintext = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  const values = JSON.parse(plaintext.toString("utf8")) as string[];
  const { texts } = replaceValues(
    { payload: event.payload.text, metadata: event.metadata?.text },
    sealed.pointers,
    (index) => values[index] as string,
  );
  return {
    payload: new RawJson(texts.payload as string),
    metadata: texts.metadata === undefined ? undefined : new RawJson(texts.metadata),
  };
}
