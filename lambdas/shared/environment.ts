/**
 * The environment variables the functions read, in one place. In AWS the CDK construct sets them;
 * in local mode and tests `local/` sets them (plus the endpoints of DynamoDB Local and the local SNS).
 */
export const environmentVariables = {
  /** Name of the event table. */
  tableName: "EVENT_STORE_TABLE",
  /** ARN of the SNS topic the change feed publishes to (unset: publishing is off). */
  topicArn: "EVENT_TOPIC_ARN",
  /** Local mode only: endpoint of DynamoDB Local, e.g. http://127.0.0.1:8000. */
  dynamoDbEndpoint: "DYNAMODB_ENDPOINT",
  /** Local mode only: endpoint of the local SNS/SQS emulator. */
  snsEndpoint: "SNS_ENDPOINT",
} as const;

export function requiredEnvironment(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
