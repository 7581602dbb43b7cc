/** Lambda entry point of the change feed (DynamoDB Streams event source, partial batch responses). */
import { createDocumentClient } from "../shared/aws-clients.ts";
import { environmentVariables, requiredEnvironment } from "../shared/environment.ts";
import { EventStore } from "../store/event-store.ts";
import { createChangeFeedHandler } from "./change-feed.ts";

export const handler = createChangeFeedHandler({
  store: new EventStore({
    client: createDocumentClient(),
    tableName: requiredEnvironment(environmentVariables.tableName),
  }),
});
