/** Lambda entry point of the HTTP API (function URL, payload format 2.0): configuration from the environment. */
import { environmentVariables, requiredEnvironment } from "#shared/environment.ts";
import { createApiHandler } from "./handler.ts";

export const handler = createApiHandler({ tableName: requiredEnvironment(environmentVariables.tableName) });
