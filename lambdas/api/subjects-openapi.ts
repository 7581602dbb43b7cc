/** The data subjects' slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 13). */
import { adminOnly, always, badInput, busy, json, parameters } from "./openapi-parts.ts";
import { ErasureAnswer, SubjectPath } from "./subjects-schema.ts";

export const subjectsPaths = {
  "/subjects/{subject}": {
    delete: {
      operationId: "eraseSubject",
      summary: "Erase a data subject's personal data (crypto-shredding): its data key is destroyed",
      description:
        'From then on every read, feed page, replay, notification and snapshot shows the subject\'s personal values as "[erased]" ' +
        "with erased: true; the rest of each event stays readable. Appending personal data for the subject again is " +
        "refused (410 subject-erased): a returning customer is a new subject. Idempotent: erasing again answers the " +
        "first erasure. Recorded as an operation of kind erasure (GET /operations?kind=erasure). Other warm processes " +
        "may still decrypt for up to 5 minutes (their key cache); see docs/data-model.md.",
      parameters: parameters(SubjectPath, "path"),
      responses: {
        "200": { description: "the subject is erased", ...json(ErasureAnswer) },
        ...badInput,
        ...adminOnly,
        ...busy,
        ...always,
      },
    },
  },
};
