/**
 * The change feed (stream poller, change-feed handler: summary upkeep and publishing) and the local SNS/SQS, run
 * on a worker thread (worker.ts) so that local mode uses a second core and the API's event loop serves requests
 * only. Everything crosses the thread boundary as messages: the config in, readiness, failures and idle answers out.
 */
import { Worker } from "node:worker_threads";
import type { LocalNotifications } from "../notifications.ts";
import type { ChangeFeedCommand, ChangeFeedReport, ChangeFeedWorkerConfig } from "./worker.ts";

export interface ChangeFeedThread {
  /** The local SNS/SQS endpoint and the topic, served by the worker; `stop` ends the whole worker. */
  notifications: LocalNotifications;
  /** Stops the stream poller; the local SNS/SQS keeps serving. */
  stopChangeFeed(): Promise<void>;
  /** Resolves once a poll that started after this call found nothing new (see the poller's `idle()`). */
  changeFeedIdle(): Promise<void>;
}

export interface ChangeFeedThreadOptions {
  /** Told about the change feed's failures (the poller's `onError`). */
  onChangeFeedError: (error: Error) => void;
  /** Told once when the worker dies while it should run (an uncaught error, an exit of its own). */
  onWorkerDied: (error: Error) => void;
}

/**
 * The worker's first code. Node 20 applies neither an inherited `--import tsx` nor tsx's `register()` inside a worker
 * thread, so worker.ts is loaded through tsx's `tsImport`, which compiles the module tree it imports on its own.
 */
const workerUrl = new URL("./worker.ts", import.meta.url).href;
const workerBootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then(({ tsImport }) => tsImport(${JSON.stringify(workerUrl)}, ${JSON.stringify(workerUrl)}));`;

/** How long `stop` lets the worker stop its parts in order before it is terminated. */
const orderlyStopMs = 2_000;

/** Starts the worker and resolves once its local SNS/SQS and topic are there; rejects with its start failure. */
export function startChangeFeedThread(
  config: ChangeFeedWorkerConfig,
  options: ChangeFeedThreadOptions,
): Promise<ChangeFeedThread> {
  const worker = new Worker(workerBootstrap, { eval: true, workerData: config });
  const send = (command: ChangeFeedCommand) => worker.postMessage(command);
  const idleWaiters = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextIdleId = 0;
  let changeFeedStopped: (() => void) | undefined;
  let workerStopped: (() => void) | undefined;
  let stopping = false;
  let gone = false;

  return new Promise((resolve, reject) => {
    let ready = false;
    const died = (error: Error) => {
      if (gone) return;
      gone = true;
      for (const waiter of idleWaiters.values()) waiter.reject(error);
      idleWaiters.clear();
      changeFeedStopped?.();
      workerStopped?.();
      if (!ready) reject(error);
      else if (!stopping) options.onWorkerDied(error);
    };
    worker.on("error", (error) => died(new Error(`the change feed's worker thread failed: ${error.message}`)));
    worker.on("exit", (code) => died(new Error(`the change feed's worker thread exited (code ${code})`)));
    worker.on("message", (report: ChangeFeedReport) => {
      switch (report.type) {
        case "ready":
          ready = true;
          resolve(thread(report));
          break;
        case "start-failed":
          stopping = true;
          reject(new Error(report.message));
          void worker.terminate();
          break;
        case "change-feed-error":
          options.onChangeFeedError(new Error(report.message));
          break;
        case "idle": {
          const waiter = idleWaiters.get(report.id);
          idleWaiters.delete(report.id);
          if (report.error === undefined) waiter?.resolve();
          else waiter?.reject(new Error(report.error));
          break;
        }
        case "change-feed-stopped":
          changeFeedStopped?.();
          break;
        case "stopped":
          workerStopped?.();
          break;
      }
    });
  });

  function thread(ready: { endpoint: string; topicArn: string }): ChangeFeedThread {
    let changeFeedRuns = true;
    return {
      notifications: {
        endpoint: ready.endpoint,
        topicArn: ready.topicArn,
        stop: async () => {
          if (stopping) return;
          stopping = true;
          if (!gone) {
            const stopped = new Promise<void>((resolve) => {
              workerStopped = resolve;
            });
            send({ type: "stop" });
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, orderlyStopMs)))]);
            clearTimeout(timer);
          }
          await worker.terminate();
        },
      },
      stopChangeFeed: async () => {
        if (!changeFeedRuns || gone) return;
        changeFeedRuns = false;
        const stopped = new Promise<void>((resolve) => {
          changeFeedStopped = resolve;
        });
        send({ type: "stop-change-feed" });
        await stopped;
      },
      changeFeedIdle: () => {
        if (!changeFeedRuns || gone) return Promise.reject(new Error("the change feed is stopped"));
        const id = nextIdleId++;
        const waiting = new Promise<void>((resolve, reject) => idleWaiters.set(id, { resolve, reject }));
        send({ type: "idle", id });
        return waiting;
      },
    };
  }
}
