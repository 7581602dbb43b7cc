/** The uploads' slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 12). */
import { always, busy, json, problem } from "./openapi-parts.ts";
import { UploadAnswer } from "./uploads-schema.ts";

export const uploadsPaths = {
  "/uploads": {
    post: {
      operationId: "createUpload",
      summary:
        "Make room for a payload larger than a request carries (6 MB): a pre-signed PUT, then an append that names it",
      description:
        "PUT the payload's JSON text (UTF-8, at most maxBytes) to url within 15 minutes, then append an event with " +
        '"upload": uploadId instead of "payload". The append reads and checks it and stores it as the event\'s own ' +
        "object; the upload itself is removed after a day (a retried append still finds it until then).",
      responses: {
        "201": { description: "an upload to PUT the payload to", ...json(UploadAnswer) },
        "400": problem("this deployment keeps no large payloads (it has no payload bucket)"),
        ...busy,
        ...always,
      },
    },
  },
};
