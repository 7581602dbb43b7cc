/**
 * Data subjects (SPEC section 13) from the client's side: erasure of a subject's personal data. The
 * `EventStoreClient` method of the same name delegates here and carries the documentation.
 */
import type { CallOptions } from "./common.ts";
import type { Transport } from "./transport.ts";
import type { Erasure } from "./types.ts";

export async function eraseSubject(transport: Transport, subject: string, options: CallOptions = {}): Promise<Erasure> {
  const answer: { erasure: Erasure } = await transport.call("DELETE", ["subjects", subject], options);
  return answer.erasure;
}
