/** The event table in CDK, built only from the shared table definition that local mode and the tests also use. */
import type { RemovalPolicy } from "aws-cdk-lib";
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableV2,
} from "aws-cdk-lib/aws-dynamodb";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { type KeyAttribute, tableDefinition } from "../lambdas/store/table.ts";

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === "S" ? AttributeType.STRING : AttributeType.NUMBER };
}

/** The table, built only from the shared table definition. */
export function createTable(scope: Construct, removalPolicy: RemovalPolicy, deletionProtection: boolean): TableV2 {
  const { partitionKey, sortKey, listingIndex, recordsIndex, timeToLiveAttribute, streamViewType } = tableDefinition;
  return new TableV2(scope, "Table", {
    partitionKey: attribute(partitionKey),
    sortKey: attribute(sortKey),
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection,
    removalPolicy,
    timeToLiveAttribute,
    dynamoStream: StreamViewType[streamViewType],
    globalSecondaryIndexes: [
      {
        indexName: listingIndex.name,
        partitionKey: attribute(listingIndex.partitionKey),
        sortKey: attribute(listingIndex.sortKey),
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...listingIndex.nonKeyAttributes],
      },
      {
        indexName: recordsIndex.name,
        partitionKey: attribute(recordsIndex.partitionKey),
        sortKey: attribute(recordsIndex.sortKey),
        projectionType: ProjectionType.ALL,
      },
    ],
  });
}

/**
 * Lets `role` send exactly `actions` to the table (test/infra/least-privilege.test.ts compares them with the calls in
 * the function's code), and, with `queryIndexes`, Query the listing and records indexes, named one by one.
 */
export function allowTableActions(
  role: IRole,
  table: TableV2,
  options: { sid: string; actions: string[]; queryIndexes: boolean },
): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({ sid: options.sid, actions: options.actions, resources: [table.tableArn] }),
  );
  if (!options.queryIndexes) return;
  const { listingIndex, recordsIndex } = tableDefinition;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: "QueryIndexes",
      actions: ["dynamodb:Query"],
      resources: [listingIndex.name, recordsIndex.name].map((name) => `${table.tableArn}/index/${name}`),
    }),
  );
}
