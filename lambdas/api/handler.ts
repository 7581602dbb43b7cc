/** Lambda entry point of the HTTP API (function URL, payload format 2.0). */
import { createDocumentClient } from "#shared/aws-clients.ts";
import { environmentVariables, requiredEnvironment } from "#shared/environment.ts";
import { StreamStore } from "#store/stream-store.ts";
import { createApi } from "./app.ts";

export const handler = createApi(
  new StreamStore({ client: createDocumentClient(), tableName: requiredEnvironment(environmentVariables.tableName) }),
);
