/**
 * Erasure keys of personal data (SPEC section 13): the subject keys table, kept apart from the event table, and the
 * customer-managed KMS key that wraps the data keys in it; grants for the functions that seal and open personal data.
 *
 * How long an erased subject stays recoverable (docs/data-model.md, "Personal data"): the keys table has no
 * point-in-time recovery, so no backup holds a key; the event table's backups hold only ciphertext; KMS cannot
 * recover a data key once its wrapped form is gone. What remains is the cache of warm functions (5 minutes).
 */
import { type RemovalPolicy, Validations } from "aws-cdk-lib";
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { environmentVariables } from "../lambdas/shared/environment.ts";
import { subjectKeysTableDefinition } from "../lambdas/store/subject-key-items.ts";

/** The keys table and its KMS key. */
export class SubjectKeys extends Construct {
  /** One item per data subject: its wrapped data key, or the tombstone of its erasure. */
  readonly table: TableV2;
  /** Wraps the data keys (GenerateDataKey, Decrypt with the encryption context `{subject}`); rotated yearly. */
  readonly key: Key;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; deletionProtection: boolean }) {
    super(scope, id);
    const { partitionKey } = subjectKeysTableDefinition;
    this.table = new TableV2(this, "Table", {
      partitionKey: { name: partitionKey.name, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      // No point-in-time recovery, on purpose: a backup would keep an erased subject's wrapped key for 35 days.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.table).acknowledge({
      id: "AwsSolutions-DDB3",
      reason:
        "The subject keys table must not be backed up: a backup would keep an erased subject's wrapped data key recoverable for up to 35 days, defeating erasure (crypto-shredding). Losing the table loses personal data only, which is what erasure does anyway; the events themselves are in the event table, with point-in-time recovery.",
    });
    this.key = new Key(this, "Key", {
      description: "Wraps the event store's per-subject data keys of personal data (crypto-shredding)",
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
  }

  /** The environment a function needs to seal or open personal data. */
  environment(): Record<string, string> {
    return {
      [environmentVariables.subjectKeysTable]: this.table.tableName,
      [environmentVariables.subjectKeyId]: this.key.keyArn,
    };
  }

  /**
   * Lets `fn` read the keys table and unwrap data keys (change feed, operations worker); with `write`, also make new
   * subjects' keys and erase them (the API).
   */
  grant(fn: LambdaFunction, role: IRole, write: boolean): void {
    for (const [name, value] of Object.entries(this.environment())) fn.addEnvironment(name, value);
    const tableActions = write ? ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] : ["dynamodb:GetItem"];
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid: "SubjectKeys", actions: tableActions, resources: [this.table.tableArn] }),
    );
    const keyActions = write ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"];
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid: "WrapSubjectKeys", actions: keyActions, resources: [this.key.keyArn] }),
    );
  }
}
