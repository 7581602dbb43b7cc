/**
 * Lambda's side of a stream batch: GetRecords gives SDK-parsed records (Dates, byte arrays), while a Lambda
 * function receives the stream record as JSON and answers with a partial batch response. Converting here lets
 * the filter and the handler see exactly what they would see in AWS (tests build realistic records with it too),
 * and reading the response here keeps Lambda's rules for bad failure identifiers in one place.
 */

import type {
  AttributeValue as StreamsAttributeValue,
  _Record as StreamsRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBRecord, AttributeValue as LambdaAttributeValue } from "aws-lambda";

/** Converts a GetRecords record into the record of a Lambda `DynamoDBStreamEvent`. */
export function toLambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const converted: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      // The SDK parses it into a Date; Lambda's JSON carries epoch seconds.
      ...(stream.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: stream.ApproximateCreationDateTime.getTime() / 1000 }
        : {}),
      ...(stream.Keys ? { Keys: toLambdaItem(stream.Keys) } : {}),
      ...(stream.NewImage ? { NewImage: toLambdaItem(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: toLambdaItem(stream.OldImage) } : {}),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
  if (record.userIdentity) {
    converted.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  return converted;
}

function toLambdaItem(item: Record<string, StreamsAttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toLambdaValue(value)]));
}

// Lambda receives the stream record as JSON, where binary values are base64 strings, not byte arrays.
function toLambdaValue(value: StreamsAttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString("base64") };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString("base64")) };
  if (value.M !== undefined) return { M: toLambdaItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

/**
 * The sequence number from which the batch must be delivered again, or undefined when all went well.
 * As with Lambda, an identifier that is empty or not in the batch fails the whole batch.
 */
export function earliestFailure(
  response: DynamoDBBatchResponse | undefined,
  batch: DynamoDBRecord[],
): string | undefined {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return undefined;
  const inBatch = batch.map((record) => record.dynamodb?.SequenceNumber ?? "");
  const first = inBatch[0];
  let earliest: bigint | undefined;
  for (const failure of failures) {
    const identifier = failure?.itemIdentifier;
    if (!identifier || !inBatch.includes(identifier)) return first;
    const position = BigInt(identifier);
    if (earliest === undefined || position < earliest) earliest = position;
  }
  return inBatch.find((sequenceNumber) => BigInt(sequenceNumber) === earliest) ?? first;
}
