import { createHash, createHmac } from "node:crypto";

/**
 * A UUID that only the holder of `secret` can compute from `name` (RFC 9562 version 8, the layout for custom
 * derivations: HMAC-SHA-256, first 128 bits). The same secret and name always give the same id.
 */
export function keyedUuid(secret: Buffer, name: string): string {
  return formatUuid(createHmac("sha256", secret).update(name, "utf8").digest(), 0x80);
}

/** A UUID (version 8, SHA-256 of `name`) that anyone computes from `name`: the same name always gives the same id. */
export function derivedUuid(name: string): string {
  return formatUuid(createHash("sha256").update(name, "utf8").digest(), 0x80);
}

/** The first 16 bytes of a digest as a UUID of this version (its high nibble), RFC 9562 variant. */
function formatUuid(digest: Buffer, version: number): string {
  digest[6] = ((digest[6] as number) & 0x0f) | version;
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
