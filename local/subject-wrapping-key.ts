/**
 * Local mode's key that wraps the subjects' data keys (SPEC section 13), in place of the construct's KMS key:
 * `<data folder>/subject-wrapping-key`, 32 random bytes made on the first start, readable by its owner alone (0600).
 * With `--in-memory` it lives in memory and is gone with the process, like everything else. Deleting the file makes
 * every subject's personal data unreadable, as erasing each subject would.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const wrappingKeyFile = "subject-wrapping-key";

/** The data folder's wrapping key, made on first use; a random one in memory without a data folder. */
export function loadWrappingKey(dataDir: string | undefined): Buffer {
  if (dataDir === undefined) return randomBytes(32);
  const path = join(dataDir, wrappingKeyFile);
  try {
    const key = readFileSync(path);
    if (key.length !== 32) throw new Error(`${path} must hold 32 bytes, it holds ${key.length}`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  // "wx": a second process starting at the same time (the data folder's lock prevents it) would fail, not overwrite.
  writeFileSync(path, key, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return key;
}
