/**
 * How subjects' data keys are kept wrapped (SPEC section 13): one interface, two implementations. In AWS a
 * customer-managed KMS key of the construct makes each data key (GenerateDataKey) and unwraps it (Decrypt), with an
 * encryption context naming the subject; in local mode a local 256-bit key in the data folder wraps with AES-256-GCM.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

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
 * wrapped key unwraps only for its own subject and CloudTrail names the subject of every unwrap. The calls are KMS's
 * JSON protocol signed with SigV4 by the AWS SDK's own signer, loaded on first use: a cold start that reads no
 * personal data pays nothing for it.
 */
export function kmsKeyWrapper(config: KmsConfig): KeyWrapper {
  const call = kmsCaller(config);
  const context = (subject: string) => ({ subject });
  return {
    async newKey(subject) {
      const output = await call("GenerateDataKey", {
        KeyId: config.keyId,
        KeySpec: "AES_256",
        EncryptionContext: context(subject),
      });
      return {
        key: Buffer.from(String(output.Plaintext), "base64"),
        wrapped: Buffer.from(String(output.CiphertextBlob), "base64"),
      };
    },
    async unwrap(subject, wrapped) {
      const output = await call("Decrypt", {
        KeyId: config.keyId,
        CiphertextBlob: wrapped.toString("base64"),
        EncryptionContext: context(subject),
      });
      return Buffer.from(String(output.Plaintext), "base64");
    },
  };
}

/** The KMS actions the wrapper calls (test/infra/sdk-calls.ts maps them to IAM actions `kms:<name>`). */
export type KmsAction = "GenerateDataKey" | "Decrypt";

function kmsCaller(config: KmsConfig) {
  let signer: Promise<(request: Request) => Promise<Record<string, unknown>>> | undefined;
  return async (action: KmsAction, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    signer ??= loadKmsSigner(config);
    const send = await signer.catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    const url = new URL(config.endpoint ?? `https://kms.${regionOf(config)}.amazonaws.com/`);
    return send(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${action}` },
        body: JSON.stringify(input),
      }),
    );
  };
}

function regionOf(config: KmsConfig): string {
  const region = config.region ?? process.env.AWS_REGION;
  if (!region) throw new Error("KMS needs a region: set AWS_REGION");
  return region;
}

/** Attempts per KMS call: KMS throttles bursts (ThrottlingException), which a short backoff rides out. */
const kmsAttempts = 3;

async function loadKmsSigner(config: KmsConfig): Promise<(request: Request) => Promise<Record<string, unknown>>> {
  const [{ SignatureV4 }, { Sha256 }, { defaultProvider }] = await Promise.all([
    import("@smithy/signature-v4"),
    import("@aws-crypto/sha256-js"),
    import("@aws-sdk/credential-provider-node"),
  ]);
  const signatureV4 = new SignatureV4({
    service: "kms",
    region: regionOf(config),
    sha256: Sha256,
    credentials: defaultProvider(),
  });
  return async (request) => {
    const url = new URL(request.url);
    const body = await request.text();
    for (let attempt = 1; ; attempt++) {
      const signed = await signatureV4.sign({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        headers: { ...Object.fromEntries(request.headers), host: url.host },
        body,
      });
      const { host: _host, ...headers } = signed.headers;
      const response = await fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(5_000) });
      const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (response.ok) return answer;
      const type = String(answer.__type ?? response.status);
      const retryable = response.status >= 500 || /Throttling/.test(type);
      if (!retryable || attempt >= kmsAttempts) {
        throw new Error(`KMS ${request.headers.get("x-amz-target")} failed: ${type} ${String(answer.message ?? "")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
    }
  };
}
