/**
 * The console as `npm start` serves it: the pages (pages.ts) for the local store, which may write, and the live
 * tail's event stream (tail-stream.ts), a queue of its own subscribed to the local notification topic. Nothing here
 * reaches lambdas/: the page reads and writes through the public HTTP API on the same origin.
 */
import type { LocalRoutes } from "../http-server.ts";
import type { LocalNotifications } from "../notifications.ts";
import { consoleRoutes } from "./pages.ts";
import { createTails, tailPath } from "./tail-stream.ts";

export { contentSecurityPolicy, prefersHtml } from "./pages.ts";

/** The console's routes, to pass to startHttpServer as `localRoutes`; its tail subscribes at `notifications`. */
export function createConsole(notifications: Pick<LocalNotifications, "endpoint" | "topicArn">): LocalRoutes {
  const tails = createTails(notifications);
  return consoleRoutes({
    config: { mode: "local", writes: true, tail: true },
    routes: { [tailPath]: (request, response, query, requestId) => tails.serve(request, response, query, requestId) },
    close: () => tails.close(),
  });
}
