/**
 * The defaults every function of the event store shares, in one place: runtime, architecture, the prebuilt bundle,
 * JSON logs into a log group with a retention, and an execution role that starts with nothing but the right to
 * write its own logs (no AWS managed policy).
 *
 * No X-Ray tracing: a request is one or two DynamoDB calls, which the logs (request id, the error of every 500) and
 * the metrics already explain, while Powertools Tracer would add ~120 KiB (aws-xray-sdk-core) and ~13 ms to each cold
 * start, and X-Ray bills per trace. docs/deploy.md ("Tracing") has the measurements.
 */
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type HandlerName, handlerAssetDir, handlerBundleFile } from "./handler-assets.ts";

/** The newest Node.js runtime this aws-cdk-lib knows; cdk-nag (AwsSolutions-L1) flags anything older. */
export const functionRuntime = Runtime.NODEJS_24_X;

export interface EventStoreFunctionProps {
  /** Which prebuilt handler bundle the function runs (lib/handler-assets.ts). */
  readonly handler: HandlerName;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** Memory in MB; CPU grows with it. */
  readonly memorySize: number;
  /** Longest run of one invocation. */
  readonly timeout: Duration;
  /** Environment variables besides the shared ones. */
  readonly environment: Record<string, string>;
  /** How long the function's log group keeps log events. */
  readonly logRetention: RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Concurrent executions reserved for (and capping) the function; absent: none reserved, no cap. */
  readonly reservedConcurrentExecutions?: number | undefined;
}

/** A Lambda function running one of the prebuilt handler bundles, with the event store's defaults, its own log group and its own least-privilege role. */
export class EventStoreFunction extends Construct {
  /** The function. Grant it what it needs through `role` or the resource's `grant*` methods. */
  readonly function: LambdaFunction;
  /** The execution role: only log writing until a caller grants more. */
  readonly role: Role;
  /** The function's log group, with the configured retention. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EventStoreFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // A role of our own, because the default one carries the AWS managed AWSLambdaBasicExecutionRole policy,
    // which may write to any log group of the account.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFunction(this, "Function", {
      // Built by esbuild when the package is built (scripts/build.ts): ESM, minified, with a source map, the AWS
      // SDK v3 bundled in and tree-shaken. Synth only zips the folder, so it needs neither esbuild nor Docker.
      code: Code.fromAsset(handlerAssetDir(props.handler)),
      handler: `${handlerBundleFile.replace(/\.mjs$/, "")}.handler`,
      description: props.description,
      runtime: functionRuntime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      tracing: Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        ...props.environment,
        // Stack traces in the logs point into the TypeScript sources.
        NODE_OPTIONS: "--enable-source-maps",
      },
    });
  }
}
