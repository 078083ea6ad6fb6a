import "server-only";
/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): signing out of a session that came
 * through single sign-on also ends the session at the identity provider, when the provider
 * advertises an `end_session_endpoint` in its discovery document. Otherwise the next "Sign in with
 * SSO" on a shared or lost machine would go straight back in without a password.
 *
 * The provider's ID token is kept in the session's encrypted JWT cookie (auth.config.ts, the jwt
 * callback; never in the session object the browser can read) and sent as `id_token_hint`, with
 * `client_id` and `post_logout_redirect_uri` = <public origin>/login, which must be registered at
 * the provider as an allowed post-logout redirect.
 */
import { getToken } from "next-auth/jwt";
import type { OidcConfig } from "./oidc.ts";

const DISCOVERY_TIMEOUT_MS = 3000;
const DISCOVERY_TTL_MS = 10 * 60_000;
let cached: { issuer: string; at: number; endpoint: string | null } | undefined;

/** The provider's end_session_endpoint from discovery (cached), or null when it has none. */
export async function endSessionEndpoint(config: Pick<OidcConfig, "issuer">, fetchImpl: typeof fetch = fetch): Promise<string | null> {
  if (cached && cached.issuer === config.issuer && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.endpoint;
  const res = await fetchImpl(`${config.issuer}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    headers: { accept: "application/json" },
  });
  if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  const doc = (await res.json()) as { end_session_endpoint?: unknown };
  let endpoint: string | null = null;
  if (typeof doc.end_session_endpoint === "string") {
    const url = new URL(doc.end_session_endpoint);
    // The same transport rule as the issuer's: https, or http on the issuer's own (loopback) origin.
    if (url.protocol === "https:" || url.origin === new URL(config.issuer).origin) endpoint = url.toString();
  }
  cached = { issuer: config.issuer, at: Date.now(), endpoint };
  return endpoint;
}

/** The URL that ends the session at the provider and comes back to the console's sign-in page. */
export function endSessionUrl(input: { endpoint: string; clientId: string; idToken?: string | null; postLogoutRedirectUri: string }): string {
  const url = new URL(input.endpoint);
  if (input.idToken) url.searchParams.set("id_token_hint", input.idToken);
  url.searchParams.set("client_id", input.clientId);
  url.searchParams.set("post_logout_redirect_uri", input.postLogoutRedirectUri);
  return url.toString();
}

/** The provider's ID token from this request's session cookie, or null (not an SSO session). */
export async function idTokenFromRequest(headers: Headers): Promise<string | null> {
  const cookie = headers.get("cookie") ?? "";
  const secret = process.env.AUTH_SECRET;
  if (!secret || !cookie) return null;
  // Only the cookie: getToken would otherwise try an Authorization bearer token too.
  const secureCookie = /(^|;\s*)__Secure-authjs\.session-token/.test(cookie);
  const token = await getToken({ req: { headers: new Headers({ cookie }) }, secret, secureCookie });
  return typeof token?.idToken === "string" ? token.idToken : null;
}

/** The console's public origin for the post-logout redirect: configured, else as the request came. */
export function publicOrigin(headers: Headers, source: Record<string, string | undefined> = process.env): string | null {
  const configured = source.CONSOLE_PUBLIC_URL || source.AUTH_URL;
  try {
    if (configured) return new URL(configured).origin;
    const host = headers.get("x-forwarded-host") ?? headers.get("host");
    return host ? new URL(`${headers.get("x-forwarded-proto") === "https" ? "https" : "http"}://${host}`).origin : null;
  } catch {
    return null;
  }
}

/**
 * Where to send the browser after a local sign-out, to end the IdP session too; null when the
 * session did not come through SSO, or the provider does not offer RP-initiated logout.
 */
export async function ssoLogoutUrl(headers: Headers, config: OidcConfig | null): Promise<string | null> {
  if (!config) return null;
  const idToken = await idTokenFromRequest(headers);
  if (!idToken) return null;
  const endpoint = await endSessionEndpoint(config);
  const origin = publicOrigin(headers);
  if (!endpoint || !origin) return null;
  return endSessionUrl({ endpoint, clientId: config.clientId, idToken, postLogoutRedirectUri: `${origin}/login` });
}
