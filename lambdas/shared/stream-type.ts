/**
 * The rule a stream type follows, in a module of its own without dependencies: the API's input schema states it,
 * and the CDK construct checks `subscribeQueue`'s stream types with it at synth time.
 */
export const streamTypeRule = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

/** The stream type rule as a RegExp, for code that checks stream types outside a request. */
export const streamTypePattern = new RegExp(streamTypeRule);
