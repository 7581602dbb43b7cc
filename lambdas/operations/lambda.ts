/** Lambda entry point of the operation worker (SQS event source): a placeholder until the worker lands. */
export const handler = async (): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => ({
  batchItemFailures: [],
});
