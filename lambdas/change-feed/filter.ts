/**
 * Which change-feed records reach the notifier: inserts of event items only (stream summaries, idempotency
 * records and TTL deletions carry no `eventId`). In AWS the event source mapping applies this pattern as its
 * FilterCriteria, so filtered records never invoke (nor bill) the function; local mode's poller applies the
 * same constant. Written in Lambda's event filtering syntax.
 */
export const changeFeedFilterPattern = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { eventId: { S: [{ exists: true }] } } },
} as const;
