/**
 * How subjects' data keys are kept wrapped (SPEC section 13): one interface, two implementations. In AWS a
 * customer-managed KMS key of the construct makes each data key (GenerateDataKey) and unwraps it (Decrypt), with an
 * encryption context naming the subject; in local mode a local 256-bit key in the data folder wraps with AES-256-GCM.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";

/** Makes and unwraps the data keys of subjects. */
export interface KeyWrapper {
  /** A new random 256-bit data key for `subject`: the key and its wrapped form (the only form that is stored). */
  newKey(subject: string): Promise<{ key: Buffer; wrapped: Buffer }>;
  /** The data key a `wrapped` form of `newKey(subject)` holds. */
  unwrap(subject: string, wrapped: Buffer): Promise<Buffer>;
}

/** Wraps with a local 256-bit key (local mode and tests): AES-256-GCM, the subject bound as additional data. */
export function localKeyWrapper(wrappingKey: Buffer): KeyWrapper {
  if (wrappingKey.length !== 32) throw new RangeError("the local wrapping key must be 32 bytes");
  return {
    async newKey(subject) {
      const key = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", wrappingKey, iv);
      cipher.setAAD(Buffer.from(subject, "utf8"));
      const wrapped = Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]);
      return { key, wrapped };
    },
    async unwrap(subject, wrapped) {
      const decipher = createDecipheriv("aes-256-gcm", wrappingKey, wrapped.subarray(0, 12));
      decipher.setAAD(Buffer.from(subject, "utf8"));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
      return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
    },
  };
}

/** A key wrapper that counts the calls it passes on (KMS calls in AWS): for metrics, the bench and tests. */
export function countingKeyWrapper(inner: KeyWrapper): KeyWrapper & { calls: { newKey: number; unwrap: number } } {
  const calls = { newKey: 0, unwrap: 0 };
  return {
    calls,
    newKey: (subject) => {
      calls.newKey++;
      return inner.newKey(subject);
    },
    unwrap: (subject, wrapped) => {
      calls.unwrap++;
      return inner.unwrap(subject, wrapped);
    },
  };
}

/** Where the KMS wrapper sends its calls; empty in AWS (the function's region and role). */
export interface KmsConfig {
  /** The KMS key (id or ARN) of the construct. */
  keyId: string;
  region?: string | undefined;
  endpoint?: string | undefined;
}

/**
 * Wraps with KMS: GenerateDataKey (AES_256) and Decrypt, each with the encryption context `{subject}`, so that a
 * wrapped key unwraps only for its own subject and CloudTrail names the subject of every unwrap. The SDK's KMS
 * client (its retries ride out KMS's throttling) is imported and built on first use: a cold start that meets no
 * personal data pays nothing for it.
 */
export function kmsKeyWrapper(config: KmsConfig): KeyWrapper {
  let kms: Promise<{ module: typeof import("@aws-sdk/client-kms"); client: KMSClient }> | undefined;
  const loaded = () => {
    kms ??= import("@aws-sdk/client-kms").then((module) => ({
      module,
      client: new module.KMSClient({
        ...(config.region ? { region: config.region } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      }),
    }));
    return kms;
  };
  const context = (subject: string) => ({ subject });
  return {
    async newKey(subject) {
      const { module, client } = await loaded();
      const output = await client.send(
        new module.GenerateDataKeyCommand({
          KeyId: config.keyId,
          KeySpec: "AES_256",
          EncryptionContext: context(subject),
        }),
      );
      if (!output.Plaintext || !output.CiphertextBlob) throw new Error("KMS GenerateDataKey answered no key");
      return { key: Buffer.from(output.Plaintext), wrapped: Buffer.from(output.CiphertextBlob) };
    },
    async unwrap(subject, wrapped) {
      const { module, client } = await loaded();
      const output = await client.send(
        new module.DecryptCommand({
          KeyId: config.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: context(subject),
        }),
      );
      if (!output.Plaintext) throw new Error("KMS Decrypt answered no key");
      return Buffer.from(output.Plaintext);
    },
  };
}
