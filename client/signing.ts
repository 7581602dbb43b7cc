/**
 * SigV4 for function URLs with `AWS_IAM` auth: @smithy/signature-v4 (the AWS SDK's own signer) for service
 * `lambda`, SHA-256 from @aws-crypto/sha256-js, credentials from the caller or the SDK's default chain. Every attempt
 * is signed afresh, so a retry carries its own date and signature.
 *
 * The signer and the credential chain are imported on first use: a client with `auth: "none"` never loads them, and
 * a Lambda that uses the client pays for them only when it signs.
 */
import type { Credentials, CredentialsProvider } from "./types.ts";

export interface SigningOptions {
  /**
   * Default: the region in a function URL's host (`*.lambda-url.<region>.on.aws`), else AWS_REGION. The URL comes
   * first: a function in another region than the caller's must be signed for its own.
   */
  region?: string | undefined;
  /** Default: the AWS SDK's default chain (environment, profile, SSO, web identity, ECS or Lambda role, IMDS). */
  credentials?: Credentials | CredentialsProvider | undefined;
}

export interface RequestToSign {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Signs a request: the headers to send, with authorization, x-amz-date, x-amz-content-sha256 (and the token). */
export type Signer = (request: RequestToSign) => Promise<Record<string, string>>;

/** A signer for the function URL at `url`; throws at once when no region can be found. */
export function createSigner(url: URL, options: SigningOptions): Signer {
  const region = options.region ?? regionOfFunctionUrl(url) ?? environmentRegion();
  if (!region) {
    throw new Error(
      `no region to sign requests to ${url.host} for: pass the region option or set AWS_REGION ` +
        "(a function URL's host, *.lambda-url.<region>.on.aws, names it by itself)",
    );
  }
  let signer: Promise<SignRequest> | undefined;
  return async (request) => {
    signer ??= loadSigner(region, options.credentials);
    const sign = await signer.catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    return sign(request);
  };
}

type SignRequest = (request: RequestToSign) => Promise<Record<string, string>>;

async function loadSigner(
  region: string,
  credentials: Credentials | CredentialsProvider | undefined,
): Promise<SignRequest> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
    import("@smithy/signature-v4"),
    import("@aws-crypto/sha256-js"),
  ]);
  const signatureV4 = new SignatureV4({
    service: "lambda",
    region,
    sha256: Sha256,
    credentials: credentials ?? (await defaultCredentials()),
    // Adds x-amz-content-sha256, which function URLs want on requests with a body.
    applyChecksum: true,
  });
  return async ({ method, url, headers, body }) => {
    const signed = await signatureV4.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      // fetch sends Host itself; it is signed, not sent from here.
      headers: { ...headers, host: url.host },
      body,
    });
    const { host: _host, ...sent } = signed.headers;
    return sent;
  };
}

/** The AWS SDK's default credential chain; memoized by the SDK, it refreshes expiring credentials itself. */
async function defaultCredentials(): Promise<CredentialsProvider> {
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  return defaultProvider();
}

function environmentRegion(): string | undefined {
  // `process` is absent outside Node-like runtimes; the region option (or the URL) serves there.
  const environment = typeof process === "undefined" ? {} : process.env;
  return environment.AWS_REGION || environment.AWS_DEFAULT_REGION || undefined;
}

/** The region of a function URL (`<id>.lambda-url.<region>.on.aws`); undefined for any other host. */
export function regionOfFunctionUrl(url: URL): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}
