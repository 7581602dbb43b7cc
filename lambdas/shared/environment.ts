/**
 * The environment variables the functions' Lambda entries (`lambda.ts`) read, in one place. The CDK construct sets
 * them; nothing else reads them: handler factories take their configuration as arguments, and local mode passes it
 * in directly.
 */
export const environmentVariables = {
  /** Name of the event table. */
  tableName: "EVENT_STORE_TABLE",
  /** ARN of the SNS topic the change feed publishes to (unset: publishing is off). */
  topicArn: "EVENT_TOPIC_ARN",
} as const;

export function requiredEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
