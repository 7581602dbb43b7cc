/**
 * `npm run console -- --url URL` and the package's `event-store-console` (dist/console/index.js, bundled by
 * scripts/build.ts): the console on 127.0.0.1 against a deployed store, signing with the user's AWS credentials
 * (remote.ts). Read-only unless `--allow-writes`.
 */
import { defaultChain, howToLogIn, startRemoteConsole } from "./remote.ts";
import { parseRemoteCliOptions, usage } from "./remote-options.ts";

async function main(): Promise<void> {
  const options = parseRemoteCliOptions(process.argv.slice(2));
  if (!options) {
    console.log(usage);
    return;
  }
  // Fail at once, saying what to do, rather than on the page's first call.
  const credentials = defaultChain(options.profile);
  await credentials().catch((error: Error) => {
    throw new Error(`no AWS credentials found (${error.message}): ${howToLogIn(options.profile)}`);
  });
  const server = await startRemoteConsole({
    url: options.url,
    region: options.region,
    profile: options.profile,
    credentials,
    allowWrites: options.allowWrites,
    port: options.port,
    allowedHosts: options.allowedHosts,
    ...(options.quiet ? {} : { log: (line: string) => console.log(line) }),
  });
  const mode = options.allowWrites ? "may write (--allow-writes)" : "read-only (restart with --allow-writes to write)";
  console.log(`Console for ${options.url.origin}, ${mode}:\n\n  ${server.url}/\n\nCtrl-C stops it.`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: Error) => {
  console.error(`event-store-console: ${error.message}`);
  process.exit(1);
});
