// Lambda entry point of the change feed (DynamoDB Streams event source). Placeholder until it lands.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";

export const handler = async (_event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => ({
  batchItemFailures: [],
});
