// Types for the plain-JavaScript fetch script (it stays .mjs so that `npm install`'s postinstall runs without tsx).

/** Absolute path of `.ddblocal/`, where DynamoDB Local's jar and native libraries live. */
export declare const dynamoDbLocalDir: string;

/** Fetches DynamoDB Local into `.ddblocal/` unless it is there already; returns that folder. */
export declare function ensureDynamoDbLocal(): string;
