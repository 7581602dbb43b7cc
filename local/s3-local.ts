/**
 * Local mode's S3: s3rver in this process, on 127.0.0.1, keeping the payload bucket's objects as files. With a data
 * folder they live in `<data folder>/s3` and survive restarts like the table; in memory (`--in-memory`) they go to a
 * fresh temporary folder that is removed when local mode stops. s3rver checks signatures against its one account,
 * `S3RVER`/`S3RVER`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { AwsClientConfig } from "#shared/aws-clients.ts";
import { localRegion } from "./aws-local.ts";

/** The bucket local mode keeps payloads, uploads and snapshots in. */
export const localPayloadBucket = "event-store-payloads";

/** s3rver's one account. */
const s3rverCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** Longest wait for the server to close before its connections are cut. */
const stopGraceMs = 2_000;

export interface S3Local {
  /** e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  bucket: string;
  /** Where the objects are, as files. */
  directory: string;
  /** The client settings of the payload objects (payload-objects.ts): endpoint, region, s3rver's credentials. */
  clientConfig: AwsClientConfig;
  /** Closes the server (bounded), and removes the folder if it was a temporary one. */
  stop(): Promise<void>;
}

/** Starts s3rver keeping its objects under `dataDir/s3`, or in a temporary folder without `dataDir`. */
export async function startS3Local(options: { dataDir: string | undefined; port?: number }): Promise<S3Local> {
  const temporary = options.dataDir === undefined;
  const directory = options.dataDir ? join(options.dataDir, "s3") : mkdtempSync(join(tmpdir(), "event-store-s3-"));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    port: options.port ?? 0,
    address: "127.0.0.1",
    directory,
    silent: true,
    configureBuckets: [{ name: localPayloadBucket }],
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    if (temporary) rmSync(directory, { recursive: true, force: true });
    throw new Error(`cannot start the local S3 (s3rver) in ${directory}: ${(error as Error).message}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  // A temporary folder goes even when the process leaves without stopping local mode (a second Ctrl-C).
  const removeFolder = () => rmSync(directory, { recursive: true, force: true });
  if (temporary) process.once("exit", removeFolder);
  return {
    endpoint,
    bucket: localPayloadBucket,
    directory,
    clientConfig: { endpoint, region: localRegion, credentials: { ...s3rverCredentials } },
    stop: async () => {
      // Clients keep connections alive, which a plain close would wait for.
      const closed = server.close().catch(() => {});
      server.httpServer?.closeIdleConnections();
      const timer = setTimeout(() => server.httpServer?.closeAllConnections(), stopGraceMs);
      await closed;
      clearTimeout(timer);
      if (temporary) {
        process.off("exit", removeFolder);
        removeFolder();
      }
    },
  };
}
