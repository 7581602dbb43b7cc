/** Lambda entry point of the HTTP API (function URL, payload format 2.0). */
import { createDocumentClient } from "../shared/aws-clients.ts";
import { environmentVariables, requiredEnvironment } from "../shared/environment.ts";
import { EventStore } from "../store/event-store.ts";
import { createApi } from "./app.ts";

export const handler = createApi(
  new EventStore({ client: createDocumentClient(), tableName: requiredEnvironment(environmentVariables.tableName) }),
);
