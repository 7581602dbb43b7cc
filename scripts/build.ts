/**
 * `npm run build`: the package as it is published, into dist/.
 *
 *   dist/handlers/<name>/index.mjs   each Lambda handler, bundled by esbuild (what the construct deploys)
 *   dist/index.js, dist/index.cjs    the construct library, ESM and CommonJS
 *   dist/client.js, dist/client.cjs  the HTTP client (`<package>/client`), ESM and CommonJS
 *   dist/types/, dist/types-cjs/     declarations by tsc, for `import` and for `require`
 *   dist/console/                    the remote console, the package's bin `event-store-console`: one bundle and
 *                                    the page's static files beside it
 *
 * `npm run build -- --handlers` builds only the handler bundles: what `cdk synth` and the tests need (about a
 * second). The library entries keep every npm package external: a consumer installs them as dependencies.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { functionRuntime } from "#lib/event-store-function.ts";
import {
  type HandlerName,
  handlerBundleFile,
  handlerBundlesDir,
  handlerEntries,
  packageRoot,
} from "#lib/handler-assets.ts";

const root = packageRoot();
const dist = join(root, "dist");

/** The esbuild target of the handler bundles: the Node.js version of the functions' runtime (nodejs24.x → node24). */
export const handlerTarget = functionRuntime.name.replace(/^nodejs(\d+).*$/, "node$1");

/** An ESM bundle has no `require`; a bundled CommonJS dependency that calls it still works with this. */
const requireShim =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface HandlerBundleOptions {
  /** The handler's entry module, relative to the package root. */
  entry: string;
  /** Where the bundle goes (its source map goes beside it). */
  outfile: string;
  /**
   * Leave the AWS SDK v3 out of the bundle, for the runtime to provide. The construct deploys bundles with the SDK
   * inside (false): tree-shaken and minified with our code it loads faster than the runtime's copy (hundreds of
   * modules resolved and read at init; docs/performance.md), and the version is the lockfile's, not the runtime's.
   */
  sdkFromRuntime: boolean;
}

/**
 * The esbuild options of a handler bundle: one place, shared by the build and the bench's bundle figures. Split into
 * chunks: what a handler imports on first use (`await import(...)`: the S3 client of large payloads, say) is a chunk
 * of its own beside the entry, loaded when first needed rather than evaluated at every cold start.
 */
export function handlerBuildOptions({ entry, outfile, sdkFromRuntime }: HandlerBundleOptions): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [{ in: entry, out: basename(outfile).replace(/\.mjs$/, "") }],
    outdir: dirname(outfile),
    outExtension: { ".js": ".mjs" },
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: handlerTarget,
    minify: true,
    sourcemap: true,
    // The functions run with --enable-source-maps, which reads and parses the map of every module a cold start loads:
    // stack traces need its mappings and file names, not a copy of every source (which made the maps 5 times larger).
    sourcesContent: false,
    mainFields: ["module", "main"],
    external: sdkFromRuntime ? ["@aws-sdk/*"] : [],
    banner: { js: requireShim },
    logLevel: "warning",
  };
}

/** Builds every handler's bundle into dist/handlers/<name>/. */
export async function buildHandlers(): Promise<void> {
  const outRoot = handlerBundlesDir(root);
  rmSync(outRoot, { recursive: true, force: true });
  await Promise.all(
    (Object.entries(handlerEntries) as [HandlerName, string][]).map(([name, entry]) =>
      build(handlerBuildOptions({ entry, outfile: join(outRoot, name, handlerBundleFile), sdkFromRuntime: false })),
    ),
  );
}

/** The public entries, each as ESM and as CommonJS (for CDK apps that `require` it). */
const libraryEntries = { index: "lib/index.ts", client: "client/index.ts" };

async function buildLibrary(): Promise<void> {
  const common: BuildOptions = {
    absWorkingDir: root,
    entryPoints: libraryEntries,
    outdir: dist,
    bundle: true,
    // Every npm package stays an import: the package's dependencies (and aws-cdk-lib, constructs as peers).
    packages: "external",
    platform: "node",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  };
  await Promise.all([
    build({ ...common, format: "esm", outExtension: { ".js": ".js" } }),
    build({
      ...common,
      format: "cjs",
      outExtension: { ".js": ".cjs" },
      // The construct finds its handler bundles from its own location, which CommonJS has as __filename.
      define: { "import.meta.url": "__importMetaUrl" },
      banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    }),
  ]);
  await buildDeclarations();
}

/**
 * tsc writes the declarations; they keep the sources' `./x.ts` specifiers, which a consumer's TypeScript does not
 * accept without `allowImportingTsExtensions`, so they are rewritten to `./x.js`. A copy marked CommonJS serves
 * `require` consumers, whose TypeScript would otherwise take the declarations for ESM.
 */
async function buildDeclarations(): Promise<void> {
  const esmTypes = join(dist, "types");
  const cjsTypes = join(dist, "types-cjs");
  rmSync(esmTypes, { recursive: true, force: true });
  rmSync(cjsTypes, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (tsc.status !== 0) throw new Error("tsc could not write the declarations (see above)");
  for (const entry of readdirSync(esmTypes, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8").replace(/((?:from|import\() ?"\.{1,2}\/[^"]+)\.ts"/g, '$1.js"');
    writeFileSync(file, text);
  }
  cpSync(esmTypes, cjsTypes, { recursive: true });
  writeFileSync(join(cjsTypes, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
}

/**
 * The remote console (local/console/remote-cli.ts) as one ESM file with a shebang, npm packages left as imports of
 * the package's dependencies; the page's files go beside it, where pages.ts looks for them (`./static/`).
 */
async function buildConsole(): Promise<void> {
  const out = join(dist, "console");
  rmSync(out, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { index: "local/console/remote-cli.ts" },
    outdir: out,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  cpSync(join(root, "local/console/static"), join(out, "static"), { recursive: true });
}

/** Everything that is published: the handler bundles, the library and client entries, the console, the declarations. */
export async function buildPackage(): Promise<void> {
  await buildHandlers();
  await buildLibrary();
  await buildConsole();
}

async function main() {
  if (process.argv.includes("--handlers")) await buildHandlers();
  else await buildPackage();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
