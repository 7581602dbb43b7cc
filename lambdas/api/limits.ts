/** A Lambda function URL accepts request bodies up to 6 MB; local mode's server enforces the same. */
export const maxRequestBytes = 6 * 1024 * 1024;
