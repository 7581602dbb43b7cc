/** Lambda entry point of the HTTP API (function URL, payload format 2.0): configuration from the environment. */
import { environmentVariables, requiredEnvironment } from "#shared/environment.ts";
import { quietObservability } from "#shared/observability.ts";
import { powertoolsObservability } from "#shared/powertools.ts";
import { createApiHandler } from "./handler.ts";

// Lambda sets the function's name. Outside Lambda (a script importing this entry, as the bench's cold-start
// harness does) nothing reads EMF lines, and they would litter the importer's stdout.
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

export const handler = createApiHandler({
  tableName: requiredEnvironment(environmentVariables.tableName),
  observability: functionName
    ? powertoolsObservability({ serviceName: "event-store-api", functionName })
    : quietObservability,
});
