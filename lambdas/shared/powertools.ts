/**
 * Observability in AWS, with Powertools for AWS Lambda: log lines as JSON (service, request id, cold start, and the
 * details given; never a payload, since nothing passes one), counters as CloudWatch embedded metric format (EMF)
 * lines that CloudWatch turns into metrics. Only the Lambda entries (`lambda.ts`) import this file, so local mode
 * and the tests never load Powertools.
 *
 * An invocation that counted nothing prints no metrics line, and a successful request prints no log line: the
 * function's log holds failures, and Lambda's own START/END/REPORT lines.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { gaugeUnits, metricsNamespace, type Observability } from "./observability.ts";

export interface PowertoolsOptions {
  /** The `service` of every log line and the `service` dimension of every metric: which function speaks. */
  serviceName: string;
  /** Adds a `FunctionName` dimension to the metrics, so that two stacks in one account count apart. */
  functionName?: string | undefined;
}

export function powertoolsObservability(options: PowertoolsOptions): Observability {
  const logger = new Logger({ serviceName: options.serviceName });
  const metrics = new Metrics({
    namespace: metricsNamespace,
    serviceName: options.serviceName,
    ...(options.functionName ? { defaultDimensions: { FunctionName: options.functionName } } : {}),
  });
  return {
    count: (metric, value = 1) => {
      if (value > 0) metrics.addMetric(metric, MetricUnit.Count, value);
    },
    measure: (metric, value) => metrics.addMetric(metric, MetricUnit[gaugeUnits[metric]], value),
    error: (message, details) => logger.error(message, details),
    warn: (message, details) => logger.warn(message, details),
    beginInvocation: (context) => {
      // Adds function_request_id and cold_start (true on the first invocation of this environment) to every line.
      if (context) logger.addContext(context);
    },
    endInvocation: () => {
      // Powertools warns when asked to publish nothing; an invocation that counted nothing prints nothing.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
