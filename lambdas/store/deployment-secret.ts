/**
 * A random secret of this deployment, kept in the table itself (one item, created by the first process that needs
 * it). The API derives the stream of an `Idempotency-Key` from it, so that nobody who merely guesses a key can
 * compute that stream's id and write to it first. Read once per process, strongly consistent (1 RRU); written
 * once per table with a conditional put, so concurrent first readers agree on one value.
 */
import { randomBytes } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, type StoreTable } from "./dynamo.ts";
import { putDeploymentSecret, queryDeploymentSecret } from "./items.ts";

export class DeploymentSecret {
  private value: Promise<Buffer> | undefined;

  constructor(private readonly table: StoreTable) {}

  get(): Promise<Buffer> {
    this.value ??= this.readOrCreate().catch((error: unknown) => {
      this.value = undefined; // a failed read is retried by the next request
      throw error;
    });
    return this.value;
  }

  private async readOrCreate(): Promise<Buffer> {
    const stored = await this.read();
    if (stored) return stored;
    const secret = randomBytes(32).toString("base64");
    try {
      await this.table.send("append", (client) =>
        client.send(new PutCommand(putDeploymentSecret(this.table.tableName, secret))),
      );
      return Buffer.from(secret, "base64");
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      // Another process created it first: use theirs.
      const theirs = await this.read();
      if (!theirs) throw new Error("the deployment secret was created but cannot be read");
      return theirs;
    }
  }

  private async read(): Promise<Buffer | undefined> {
    const output = await this.table.query("details", queryDeploymentSecret(this.table.tableName));
    const secret = output.Items?.[0]?.secret;
    return typeof secret === "string" ? Buffer.from(secret, "base64") : undefined;
  }
}
