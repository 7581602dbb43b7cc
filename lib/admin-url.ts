/**
 * The admin URL (SPEC section 13): a second function URL of the API, on its alias `admin`, the only way in to the
 * endpoints that remove data (deleting and truncating streams, erasing subjects). A function URL is authorized as a
 * whole — IAM cannot tell a request to append from one to delete — so one URL could not let a writer append without
 * letting it delete. Two URLs of one function can: a grant on the function (grantAppend, grantRead) names its
 * unqualified ARN, which does not match the alias's (`…:function:<name>:admin`), and grantAdmin names only the alias.
 * The API tells the two apart by the ARN it was invoked with (lambdas/api/admin.ts). Always `AWS_IAM`, also when the
 * main URL is public: nobody removes data anonymously.
 */

import type { FunctionUrl, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Alias, FunctionUrlAuthType, type FunctionUrlCorsOptions } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";

/** The name of the API function's alias behind the admin URL; the API checks it (environment adminAlias). */
export const adminAliasName = "admin";

export interface AdminUrl {
  alias: Alias;
  url: FunctionUrl;
}

export function createAdminUrl(scope: Construct, api: LambdaFunction, cors?: FunctionUrlCorsOptions): AdminUrl {
  const alias = new Alias(scope, "ApiAdminAlias", {
    aliasName: adminAliasName,
    version: api.currentVersion,
    description: "The event store API as reached through its admin URL (deletes, truncations, erasures)",
  });
  const url = alias.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM, cors });
  return { alias, url };
}
