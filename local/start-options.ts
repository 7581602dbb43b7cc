/** `npm start`'s command line: the usage text and its parsing into options, with one-line errors. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseRetentionByType, type RetentionByType } from "#store/retention.ts";
import { defaultSnsPort } from "./notifications.ts";

export const defaultDataDir = ".event-store";

export const usage = `Usage: npm start -- [options]

Runs the event store locally: the HTTP API, DynamoDB Local and the change feed, on 127.0.0.1 only.

Options:
  --port N                 HTTP port of the API (default: $PORT or 3000; 0 picks a free one)
  --data-dir DIR           where DynamoDB Local keeps its data, the change feed its checkpoints and
                           the local S3 its payload objects (default: ${defaultDataDir}/); one npm start
                           per folder
  --in-memory              keep nothing: the data is gone when the process stops
  --dynamodb-port N        port of DynamoDB Local (default: a free port)
  --dynamodb-endpoint URL  use a DynamoDB (Local) that runs already instead of starting one
  --sns-port N             port of the local SNS/SQS endpoint (default: $SNS_PORT or ${defaultSnsPort};
                           npm run tail finds it there)
  --sns-endpoint URL       use an SNS/SQS endpoint that runs already (the topic is created there)
  --allow-host NAME        serve requests whose Host header is NAME too (besides localhost, 127.0.0.1
                           and [::1]); repeatable
  --retention T:LIMITS     keep events of stream type T within limits, e.g. order:maxAge=30d,maxCount=1000
                           (ages in s, m, h or d); repeatable; as the stack option retention
  --quiet                  no line per request on stdout
  --help                   show this help

Needs Java 17+ for DynamoDB Local (not with --dynamodb-endpoint). See docs/local-mode.md.`;

export interface StartOptions {
  port: number;
  /** Undefined in memory. */
  dataDir: string | undefined;
  /** Start DynamoDB Local on this port, or use the DynamoDB at this endpoint. */
  dynamoDb: { port: number } | { endpoint: string };
  /** Start the local SNS/SQS on this port, or use the one at this endpoint. */
  sns: { port: number } | { endpoint: string };
  allowedHosts: string[];
  /** Each stream type's retention (--retention). */
  retention: RetentionByType | undefined;
  quiet: boolean;
}

/** Parses the command line; undefined means --help was asked for. Throws one-line errors for bad input. */
export function parseStartOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      "data-dir": { type: "string" },
      "in-memory": { type: "boolean", default: false },
      "dynamodb-port": { type: "string" },
      "dynamodb-endpoint": { type: "string" },
      "sns-port": { type: "string" },
      "sns-endpoint": { type: "string" },
      "allow-host": { type: "string", multiple: true, default: [] },
      retention: { type: "string", multiple: true, default: [] },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  exclusive(values, "in-memory", "data-dir");
  exclusive(values, "dynamodb-endpoint", "dynamodb-port");
  exclusive(values, "sns-endpoint", "sns-port");
  const dynamoDbEndpoint = values["dynamodb-endpoint"];
  const snsEndpoint = values["sns-endpoint"];
  return {
    port: parsePort(values.port ?? env.PORT ?? "3000", values.port ? "--port" : env.PORT ? "PORT" : "default port"),
    dataDir: values["in-memory"] ? undefined : resolve(values["data-dir"] ?? defaultDataDir),
    dynamoDb: dynamoDbEndpoint
      ? { endpoint: parseEndpoint(dynamoDbEndpoint, "--dynamodb-endpoint") }
      : { port: parsePort(values["dynamodb-port"] ?? "0", "--dynamodb-port") },
    sns: snsEndpoint
      ? { endpoint: parseEndpoint(snsEndpoint, "--sns-endpoint") }
      : {
          port: parsePort(
            values["sns-port"] ?? env.SNS_PORT ?? String(defaultSnsPort),
            values["sns-port"] ? "--sns-port" : "SNS_PORT",
          ),
        },
    allowedHosts: values["allow-host"],
    retention: values.retention.length > 0 ? parseRetention(values.retention) : undefined,
    quiet: values.quiet,
  };
}

function parseRetention(given: string[]): RetentionByType {
  try {
    return parseRetentionByType(given.join(";"));
  } catch (error) {
    throw new Error(`--retention: ${(error as Error).message}`);
  }
}

function exclusive(values: Record<string, unknown>, one: string, other: string): void {
  const given = (name: string) => values[name] !== undefined && values[name] !== false;
  if (given(one) && given(other)) throw new Error(`--${one} and --${other} exclude each other`);
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new Error(`${source} must be a port number (0–65535), got "${text}"`);
  return port;
}

function parseEndpoint(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${source} must be a URL such as http://127.0.0.1:8000, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${source} must be an http:// or https:// URL, got "${text}"`);
  }
  return url.href.replace(/\/$/, "");
}
