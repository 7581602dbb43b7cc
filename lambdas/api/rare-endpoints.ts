/**
 * The endpoint groups few requests use, in one module that the router imports on the first request to any of them
 * (router.ts `lazy`): in the Lambda bundle they are one chunk. One chunk rather than one per group, because esbuild
 * splits by the set of chunks that reach a module: every group that shares modules with the entry (input checks,
 * problems, schemas) made one more small shared chunk that each cold start loaded, and each file a cold start loads
 * costs a few tenths of a millisecond of Node's module loading (docs/performance.md, part 5). The first request to
 * one of these groups evaluates all of them, once.
 */
export * as consistency from "./endpoints/consistency.ts";
export * as lifecycle from "./endpoints/lifecycle.ts";
export * as operations from "./endpoints/operations.ts";
export * as replays from "./endpoints/replays.ts";
export * as snapshots from "./endpoints/snapshots.ts";
export * as subjects from "./endpoints/subjects.ts";
export * as undelivered from "./endpoints/undelivered.ts";
export * as uploads from "./endpoints/uploads.ts";
