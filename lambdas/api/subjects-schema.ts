/** The input and answer of `DELETE /subjects/{subject}` (SPEC section 13): erasure of a data subject's personal data. */
import * as Type from "@sinclair/typebox/type";
import { Subject, Time } from "./schema.ts";

export const SubjectPath = Type.Object({ subject: Subject });

export const ErasureAnswer = Type.Object(
  {
    erasure: Type.Object(
      {
        subject: Type.String({ description: "the erased data subject" }),
        erasedAt: { ...Time, description: "when its key was erased (the first erasure's time, on a repeat too)" },
        erasedBy: Type.String({ description: "who erased it: the signer's IAM ARN, or anonymous" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
