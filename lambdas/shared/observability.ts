/**
 * What the functions tell an operator, behind one small interface: counters (CloudWatch metrics in AWS) and
 * failures (log lines). Handlers and domain code call it without knowing where it goes. The Lambda entries pass
 * the Powertools-backed implementation (`powertools.ts`: JSON logs, EMF metrics); local mode and the tests get
 * `quietObservability`, which counts nothing and prints only failures, so their output stays readable.
 */
import type { Context } from "aws-lambda";

/** The CloudWatch namespace of the counters. */
export const metricsNamespace = "EventStore";

/** The counters, each a CloudWatch metric of unit Count in `metricsNamespace`, and what one count means. */
export const metricDescriptions = {
  Appends: "API: an append or stream creation answered 201",
  Conflicts: "API: an answer 409 wrong-expected-revision",
  AppendRetries: "API: an append lost a race to another writer and tried again (the store's onContention)",
  Throttles: "API: an answer 503 because DynamoDB throttled or did not answer (throttled, database-unavailable)",
  ServerErrors: "API: any 5xx answer (those 503s and every 500)",
  EventsNotified: "change feed: an event published to the topic",
  PublishFailures:
    "change feed: an event an invocation left unpublished after its retries (refused, SNS down, or held back behind a failure of its stream); it is recorded undelivered and redriven",
  StreamCountFailures:
    "change feed: a new stream its type's count could not take (the count write failed); the type's streamCount stays short by it",
  EventsIndexed: "change feed: an event written to the global feed (it has its position)",
  FeedStreamsHeldBack:
    "change feed: a stream whose events came before its predecessor was in the global feed (a sibling shard after a split); its records come again",
  EventsReplayed: "operation worker: an event a replay or redrive published (again)",
  OperationStepFailures:
    "operation worker: a step of a replay or redrive that failed; its message is retried, and the operation fails after a few",
  PayloadsSwept:
    "operation worker, every hour: an object the payload sweep deleted (a payload no event names after an append died between its put and its write, or an upload older than a day)",
  RetentionTruncations:
    "operation worker, every hour: a stream the retention sweep truncated to what its maxCount (or its own maxAge) keeps; a removal operation deletes those events",
} as const;

export type MetricName = keyof typeof metricDescriptions;

/** The gauges: a value measured now (not added up), each a CloudWatch metric of its unit in `metricsNamespace`. */
export const gaugeDescriptions = {
  OldestUndeliveredAgeSeconds:
    "operation worker, every redrive tick: the age of the oldest notification waiting for a redrive (0 when none)",
} as const;

export type GaugeName = keyof typeof gaugeDescriptions;

/** The unit of each gauge, as CloudWatch names it. */
export const gaugeUnits: Record<GaugeName, "Seconds"> = { OldestUndeliveredAgeSeconds: "Seconds" };

/** What a log line carries besides its message; an `error` member is logged with its name, message and stack. */
export type LogDetails = Record<string, unknown>;

export interface Observability {
  /** Adds `value` (default 1) to a counter of the current invocation. */
  count(metric: MetricName, value?: number): void;
  /** Records a gauge's current value (optional: implementations that keep no metrics may leave it out). */
  measure?(metric: GaugeName, value: number): void;
  /** A failure an operator must hear about (a 500, a record the change feed could not handle). */
  error(message: string, details: LogDetails): void;
  /** A failure that is retried and may still come right. */
  warn(message: string, details: LogDetails): void;
  /** An invocation starts: its Lambda context (absent outside Lambda) gives the request id and the cold start. */
  beginInvocation(context: Context | undefined): void;
  /** The invocation is over: its counters are published (before the promise, if one is returned, settles). */
  endInvocation(): void | Promise<void>;
}

/** An error as a log shows it; anything else as its string. */
export function describeError(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error);
}

function printToStderr(level: string, message: string, details: LogDetails): void {
  const { error, ...rest } = details;
  const described = error === undefined ? {} : { error: describeError(error) };
  console.error(JSON.stringify({ level, message, ...rest, ...described }));
}

/** Local mode's and the tests' default: no counters, no line per request; failures go to stderr. */
export const quietObservability: Observability = {
  count: () => {},
  measure: () => {},
  error: (message, details) => printToStderr("ERROR", message, details),
  warn: (message, details) => printToStderr("WARN", message, details),
  beginInvocation: () => {},
  endInvocation: () => {},
};

/**
 * Wraps a handler so that each invocation is framed by `beginInvocation` and `endInvocation`, whatever it returns
 * or throws. The result takes Lambda's optional second argument, the context; local mode calls it without one.
 */
export function observeInvocations<Event, Result>(
  observability: Observability,
  handler: (event: Event, context?: Context) => Promise<Result>,
): (event: Event, context?: Context) => Promise<Result> {
  return async (event, context) => {
    observability.beginInvocation(context);
    try {
      return await handler(event, context);
    } finally {
      await observability.endInvocation();
    }
  };
}

/**
 * An Observability whose implementation `load` imports when it is first needed: the first failure logged, or the end of
 * the first invocation that counted something. Until then calls are kept, in order, and handed over once it is loaded;
 * the invocation's end waits for that, so nothing is published late. A cold start (and every invocation that counts
 * and logs nothing, such as a read) thus loads no Powertools: its modules, a chunk of their own in the bundle, and the
 * building of its logger and metrics cost the first invocation that needs them instead.
 */
export function observabilityOnFirstUse(load: () => Promise<Observability>): Observability {
  let loaded: Observability | undefined;
  let loading: Promise<Observability> | undefined;
  let invocations = 0;
  let firstContext: Context | undefined;
  // The current invocation's begin and the calls since, while nothing is loaded.
  let current: { context: Context | undefined; calls: ((target: Observability) => void)[] } | undefined;

  const startLoading = () => {
    loading ??= load().then((target) => {
      // The implementation starts in an environment that may be past its first invocation; shown that invocation
      // first, it tells the cold start (Powertools: true for the first context it is given) as it would have.
      if (invocations > 1 && firstContext) target.beginInvocation(firstContext);
      if (current) {
        target.beginInvocation(current.context);
        for (const call of current.calls) call(target);
        current = undefined;
      }
      loaded = target;
      return target;
    });
    return loading;
  };
  /** A call for the implementation: made now if it is loaded, else kept for it (and, if `urgent`, loading begun). */
  const use = (call: (target: Observability) => void, urgent: boolean) => {
    if (loaded) return call(loaded);
    current ??= { context: undefined, calls: [] };
    current.calls.push(call);
    // A failure is logged as soon as the implementation is there; a count waits for the invocation's end.
    // A failed load surfaces where the invocation's end awaits it, not as an unhandled rejection now.
    if (urgent) startLoading().catch(() => {});
  };

  return {
    count: (metric, value) => {
      // A zero count publishes nothing; it does not make the invocation need the implementation.
      if (value === 0) return;
      use((target) => target.count(metric, value), false);
    },
    measure: (metric, value) => use((target) => target.measure?.(metric, value), false),
    error: (message, details) => use((target) => target.error(message, details), true),
    warn: (message, details) => use((target) => target.warn(message, details), true),
    beginInvocation: (context) => {
      invocations++;
      if (invocations === 1) firstContext = context;
      if (loaded) return loaded.beginInvocation(context);
      current = { context, calls: [] };
    },
    endInvocation: () => {
      if (loaded) return loaded.endInvocation();
      if (!loading && (current?.calls.length ?? 0) === 0) {
        current = undefined;
        return;
      }
      return startLoading().then((target) => target.endInvocation());
    },
  };
}
