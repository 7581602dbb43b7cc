/** An Observability that remembers what it is told, for tests that check what the functions report. */
import type { Context } from "aws-lambda";
import type { LogDetails, MetricName, Observability } from "#shared/observability.ts";

export interface RecordingObservability extends Observability {
  counts: Partial<Record<MetricName, number>>;
  logs: Array<{ level: "error" | "warn"; message: string; details: LogDetails }>;
  invocations: Array<{ context: Context | undefined; ended: boolean }>;
}

export function recordingObservability(): RecordingObservability {
  const recorder: RecordingObservability = {
    counts: {},
    logs: [],
    invocations: [],
    count: (metric, value = 1) => {
      // Adding nothing leaves a counter absent, as the Powertools one publishes no line for it.
      if (value === 0) return;
      recorder.counts[metric] = (recorder.counts[metric] ?? 0) + value;
    },
    error: (message, details) => recorder.logs.push({ level: "error", message, details }),
    warn: (message, details) => recorder.logs.push({ level: "warn", message, details }),
    beginInvocation: (context) => recorder.invocations.push({ context, ended: false }),
    endInvocation: () => {
      const current = recorder.invocations.at(-1);
      if (current) current.ended = true;
    },
  };
  return recorder;
}

/** A Lambda context as the runtime passes it (what Powertools reads from it). */
export function lambdaContext(awsRequestId: string): Context {
  return {
    awsRequestId,
    functionName: "EventStore-test-Api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:EventStore-test-Api",
    memoryLimitInMB: "1024",
    callbackWaitsForEmptyEventLoop: true,
    logGroupName: "/aws/lambda/EventStore-test-Api",
    logStreamName: "2026/11/30/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

type PrintedLine = Record<string, unknown>;

/**
 * Runs `act` and returns the JSON lines it wrote to stdout/stderr meanwhile (Powertools' log and EMF lines). A
 * synchronous `act` is captured synchronously, so that nothing else writes meanwhile; an asynchronous one until it
 * settles.
 */
export function printedBy(act: () => void): PrintedLine[];
export function printedBy(act: () => Promise<unknown>): Promise<PrintedLine[]>;
export function printedBy(act: () => unknown): PrintedLine[] | Promise<PrintedLine[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  const { stdout, stderr } = process;
  const writes = { stdout: stdout.write, stderr: stderr.write };
  const restore = () => {
    stdout.write = writes.stdout;
    stderr.write = writes.stderr;
  };
  const parsed = () => lines.map((line) => JSON.parse(line) as PrintedLine);
  stdout.write = capture as typeof stdout.write;
  stderr.write = capture as typeof stderr.write;
  let result: unknown;
  try {
    result = act();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore).then(parsed);
  restore();
  return parsed();
}
