/**
 * Where the poller keeps its place in the stream between restarts. Kept apart from the polling loop because
 * it is only file persistence: which shard positions exist is the poller's business, not how they are stored.
 */

import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** A shard's saved position: the last sequence number fully handled, and whether the shard was read to its end. */
export interface SavedCheckpoint {
  sequenceNumber: string | undefined;
  done?: true;
}

/**
 * Checkpoints of every stream the file has seen, keyed by stream ARN (a re-created table has a new stream ARN,
 * so stale checkpoints never apply to it). Written to a temporary file and renamed, so a crash mid-write
 * leaves the previous checkpoints intact.
 */
export class CheckpointStore {
  private all: Record<string, Record<string, SavedCheckpoint>> | undefined;
  private lastWritten = "";

  constructor(
    private readonly file: string | undefined,
    private readonly streamArn: string,
  ) {}

  load(): Record<string, SavedCheckpoint> {
    this.all ??= this.readFile();
    return this.all[this.streamArn] ?? {};
  }

  async save(entries: Record<string, SavedCheckpoint>): Promise<void> {
    this.all ??= this.readFile();
    this.all[this.streamArn] = entries;
    if (!this.file) return;
    const text = `${JSON.stringify(this.all, null, 2)}\n`;
    if (text === this.lastWritten) return;
    if (!this.lastWritten) await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, this.file);
    this.lastWritten = text;
  }

  private readFile(): Record<string, Record<string, SavedCheckpoint>> {
    if (!this.file) return {};
    try {
      return JSON.parse(readFileSync(this.file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new Error(`cannot read change-feed checkpoints from ${this.file}: ${(error as Error).message}`);
    }
  }
}
