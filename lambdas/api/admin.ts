/**
 * The endpoints that remove data (deleting and truncating streams, erasing subjects: SPEC section 13) answer only
 * through the admin URL, the API function's alias `admin` (lib/admin-url.ts), which only grantAdmin reaches: a
 * writer's role cannot delete. The function tells the URLs apart by the ARN it was invoked with. Without an alias
 * configured (local mode: one loopback URL, no IAM) every caller may use them.
 */
import type { Context } from "aws-lambda";
import { HttpProblem, problemTypes } from "./problem.ts";
import type { Endpoint } from "./request.ts";

/** Whether this invocation may remove data: it came through the alias `adminAlias`, or there is none. */
export function adminAccess(adminAlias: string | undefined, context: Pick<Context, "invokedFunctionArn"> | undefined) {
  if (adminAlias === undefined) return true;
  return context?.invokedFunctionArn.endsWith(`:${adminAlias}`) ?? false;
}

/** `endpoint`, answering 403 `admin-only` to a request that did not come through the admin URL. */
export function adminOnly(endpoint: Endpoint): Endpoint {
  return async (request, store, services) => {
    if (!request.admin) {
      const detail =
        `${request.method} ${request.path} removes data and answers only through the store's admin URL (the stack ` +
        "output AdminUrl), to callers granted with grantAdmin; the API URL serves appends and reads";
      throw new HttpProblem(problemTypes.adminOnly, detail);
    }
    return endpoint(request, store, services);
  };
}
