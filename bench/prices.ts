/**
 * Prices used to turn request units into dollars. AWS list prices, us-east-1, on-demand; DynamoDB's are those
 * in force since the on-demand price cut of 1 November 2024 (aws.amazon.com/dynamodb/pricing/on-demand/),
 * SNS's from aws.amazon.com/sns/pricing/. Re-check them before quoting a figure: they are data, not a law.
 */
export const prices = {
  region: "us-east-1",
  asOf: "2024-11-01 (DynamoDB on-demand price cut; unchanged as of the bench's writing)",
  /** USD per million write request units (1 KB each; transactional writes take two). */
  writeRequestUnitsPerMillion: 0.625,
  /** USD per million read request units (4 KB strongly consistent, or 8 KB eventually consistent). */
  readRequestUnitsPerMillion: 0.125,
  /** GetRecords calls made by a Lambda event source mapping on DynamoDB Streams are free. */
  streamReadsFromLambdaPerMillion: 0,
  /** USD per million SNS requests (standard topic); one PublishBatch of up to 10 messages counts once. */
  snsRequestsPerMillion: 0.5,
} as const;

/** USD for one million of an operation that takes these units. */
export function dynamoDbUsdPerMillion(readUnits: number, writeUnits: number): number {
  return readUnits * prices.readRequestUnitsPerMillion + writeUnits * prices.writeRequestUnitsPerMillion;
}
