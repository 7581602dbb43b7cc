/**
 * The objects of large payloads and snapshots in S3 (SPEC section 12): the one place that talks to the bucket.
 * The S3 client and the presigner are loaded on first use, not at init: most requests never touch the bucket, and a
 * function's cold start pays for every module it evaluates.
 *
 * Keys (large-payloads.ts and snapshots.ts build them):
 *   payloads/<yyyy-mm-ddThh>/<streamId>/<revision>/<eventId>.<attempt>   a large payload, under its hour
 *   uploads/<uploadId>                                         what a client uploaded for a later append
 *   snapshots/<streamId>/<schema>/<revision>                   a large snapshot state
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { AwsClientConfig } from "../shared/aws-clients.ts";

export interface StoredObject {
  key: string;
  /** Bytes. */
  size: number;
  lastModified: Date;
}

export interface PayloadObjects {
  readonly bucket: string;
  put(key: string, body: Buffer): Promise<void>;
  /** The object's bytes; undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** The object's size, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  copy(fromKey: string, toKey: string): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Objects under a prefix, in key order. */
  list(prefix: string): AsyncGenerator<StoredObject>;
  /** A URL that reads the object for `seconds`, without credentials. */
  readUrl(key: string, seconds: number): Promise<string>;
  /** A URL that writes the object (at most `maxBytes`) for `seconds`, without credentials. */
  writeUrl(key: string, seconds: number): Promise<string>;
}

export interface PayloadObjectsConfig {
  bucket: string;
  /** S3 client settings; empty in AWS. Local mode passes its S3 endpoint (path-style addressing). */
  s3?: AwsClientConfig;
}

/** The bucket through the AWS SDK's S3 client, which is imported when first needed. */
export function s3PayloadObjects(config: PayloadObjectsConfig): PayloadObjects {
  const { bucket } = config;
  let loaded: Promise<{ s3: S3Client; sdk: typeof import("@aws-sdk/client-s3") }> | undefined;
  const client = () => {
    loaded ??= (async () => {
      const sdk = await import("@aws-sdk/client-s3");
      const { endpoint, region, credentials } = config.s3 ?? {};
      const s3 = new sdk.S3Client({
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        ...(region ? { region } : {}),
        ...(credentials ? { credentials } : {}),
      });
      return { s3, sdk };
    })();
    return loaded;
  };
  const presign = async (command: object, seconds: number) => {
    const [{ s3 }, { getSignedUrl }] = await Promise.all([client(), import("@aws-sdk/s3-request-presigner")]);
    return getSignedUrl(s3, command as Parameters<typeof getSignedUrl>[1], { expiresIn: seconds });
  };
  return {
    bucket,
    async put(key, body) {
      const { s3, sdk } = await client();
      await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(key) {
      const { s3, sdk } = await client();
      try {
        const output = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async size(key) {
      const { s3, sdk } = await client();
      try {
        const output = await s3.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return output.ContentLength;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async copy(fromKey, toKey) {
      const { s3, sdk } = await client();
      const source = `${bucket}/${fromKey.split("/").map(encodeURIComponent).join("/")}`;
      await s3.send(new sdk.CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: source }));
    },
    async delete(keys) {
      if (keys.length === 0) return;
      const { s3, sdk } = await client();
      for (let start = 0; start < keys.length; start += 1000) {
        const objects = keys.slice(start, start + 1000).map((Key) => ({ Key }));
        await s3.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      }
    },
    async *list(prefix) {
      const { s3, sdk } = await client();
      let token: string | undefined;
      do {
        const output = await s3.send(
          new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of output.Contents ?? []) {
          yield { key: String(object.Key), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
        }
        token = output.IsTruncated ? output.NextContinuationToken : undefined;
      } while (token);
    },
    async readUrl(key, seconds) {
      const { sdk } = await client();
      return presign(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), seconds);
    },
    async writeUrl(key, seconds) {
      const { sdk } = await client();
      return presign(new sdk.PutObjectCommand({ Bucket: bucket, Key: key }), seconds);
    },
  };
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === "NoSuchKey" || name === "NotFound";
}
