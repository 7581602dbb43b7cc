/**
 * The Lambda handlers the construct deploys, and where their prebuilt bundles are.
 *
 * The bundles are built by `npm run build` (scripts/build.ts, esbuild) into `dist/handlers/<name>/` and shipped
 * inside the package, so that a CDK app using the construct synthesizes without esbuild, tsx or Docker: the
 * construct only points Lambda at a folder.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Each handler's entry module, relative to the package root. It exports `handler`. */
export const handlerEntries = {
  api: "lambdas/api/lambda.ts",
  "change-feed": "lambdas/change-feed/lambda.ts",
  operations: "lambdas/operations/lambda.ts",
} as const;

export type HandlerName = keyof typeof handlerEntries;

/** The file name of every bundle inside its folder; the function's handler is `index.handler`. */
export const handlerBundleFile = "index.mjs";

/** The package root: the nearest folder above this module with a package.json (the source tree or dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** Where the bundles of all handlers are built into. */
export function handlerBundlesDir(root = packageRoot()): string {
  return join(root, "dist", "handlers");
}

/** The folder holding one handler's bundle, checked to exist: a clone must build it first. */
export function handlerAssetDir(name: HandlerName): string {
  const dir = join(handlerBundlesDir(), name);
  if (!existsSync(join(dir, handlerBundleFile))) {
    throw new Error(
      `The ${name} handler's bundle is missing at ${dir}. In a clone of the event store, run \`npm run build\` ` +
        "(npm install and npm test do it); the published package ships it prebuilt.",
    );
  }
  return dir;
}
