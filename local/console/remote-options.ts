/** The remote console's command line (remote-cli.ts): the usage text and its parsing, with one-line errors. */
import { parseArgs } from "node:util";

export const defaultConsolePort = 3100;

export const usage = `Usage: event-store-console --url URL [options]
       npm run console -- --url URL [options]

Serves the event store's console on 127.0.0.1 for a deployed store, and forwards the page's API calls
to the store's function URL, signed (SigV4) with your AWS credentials. Read-only unless --allow-writes.

Options:
  --url URL         the store's function URL, e.g. https://abc123.lambda-url.eu-west-1.on.aws/ (required)
  --profile P       the AWS profile to sign with (default: $AWS_PROFILE, else the default credential chain:
                    environment, ~/.aws/config and credentials, SSO, …)
  --region R        the region to sign for (default: the function URL's own, else $AWS_REGION)
  --port N          local port of the console (default: ${defaultConsolePort}; 0 picks a free one)
  --allow-writes    let the console append, create streams, start replays and cancel operations
  --allow-host NAME serve requests whose Host header is NAME too (besides localhost, 127.0.0.1, [::1])
  --quiet           no line per request
  --help            show this help

The credentials need lambda:InvokeFunctionUrl (and lambda:InvokeFunction for function URLs created
since October 2025) on the store's API function. See docs/console.md.`;

export interface RemoteCliOptions {
  url: URL;
  profile: string | undefined;
  region: string | undefined;
  port: number;
  allowWrites: boolean;
  allowedHosts: string[];
  quiet: boolean;
}

/** Parses the command line; undefined means --help was asked for. Throws one-line errors for bad input. */
export function parseRemoteCliOptions(argv: string[]): RemoteCliOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      profile: { type: "string" },
      region: { type: "string" },
      port: { type: "string" },
      "allow-writes": { type: "boolean", default: false },
      "allow-host": { type: "string", multiple: true, default: [] },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (!values.url) throw new Error("--url is required: the store's function URL (see --help)");
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new Error(
      `--url ${values.url} is not a URL: give the function URL, e.g. https://….lambda-url.<region>.on.aws/`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`--url must be https:, got ${url.protocol}`);
  const port = Number(values.port ?? defaultConsolePort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be 0 to 65535, got ${values.port}`);
  return {
    url,
    profile: values.profile,
    region: values.region,
    port,
    allowWrites: values["allow-writes"],
    allowedHosts: values["allow-host"],
    quiet: values.quiet,
  };
}
