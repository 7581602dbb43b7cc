/**
 * A removal's step (SPEC section 13): deletes the items a delete or truncation hid, a bounded page at a time from
 * the stream's oldest revision up, its cursor the last revision looked at. The hiding took effect when the
 * operation was created; the steps only free the storage, so a crash or a cancel leaves hidden items that stay
 * hidden. A step is idempotent: deleting a deleted item does nothing.
 */
import type { RemovalRequest } from "#store/model.ts";
import type { Step } from "./step.ts";

/** Where a removal resumes: after this revision. */
interface RemovalCursor {
  after: number;
}

export function removalStep(request: RemovalRequest): Step {
  return async (stored, context) => {
    const after = (stored as RemovalCursor | undefined)?.after ?? 0;
    const step = await context.store.removeHidden(request, after, context.eventsPerStep);
    return {
      cursor: { after: step.after } satisfies RemovalCursor,
      streams: step.done ? 1 : 0,
      events: step.removed,
      done: step.done,
    };
  };
}
