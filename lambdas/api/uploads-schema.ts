/** The answer of `POST /uploads` (SPEC section 12): where a payload too large for a request is put first. */
import * as Type from "@sinclair/typebox/type";
import { Time, Uuid } from "./schema.ts";

export const UploadAnswer = Type.Object(
  {
    upload: Type.Object(
      {
        uploadId: { ...Uuid, description: 'what the append names in place of the payload: {"upload": uploadId}' },
        url: Type.String({ description: "PUT the payload's JSON text here (no credentials needed) before it expires" }),
        expiresAt: { ...Time, description: "when the url stops taking the payload (15 minutes)" },
        maxBytes: Type.Integer({ description: "the largest payload an append takes (100 MB)" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
