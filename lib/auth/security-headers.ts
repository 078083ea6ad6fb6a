/**
 * The security headers the proxy sets on every response it handles (pages, APIs, redirects).
 * next.config.ts sets the static ones again for what the proxy does not see (/_next/static).
 *
 * The Content-Security-Policy uses a fresh nonce per request with 'strict-dynamic': Next reads
 * the nonce from the request's CSP header and puts it on its own scripts (Next.js guide
 * "Content Security Policy", https://nextjs.org/docs/app/guides/content-security-policy).
 * 'unsafe-eval' appears only in development, where React needs it for debugging.
 *
 * No imports: the proxy loads this.
 */

export type HeaderOptions = {
  nonce: string;
  /** Development server: allow eval (React's dev tooling); never in production. */
  dev: boolean;
  /** Served over https: HSTS and upgrade-insecure-requests. */
  https: boolean;
  /** Extra form targets, e.g. the SSO provider's origin (a sign-in form redirects there). */
  formActionOrigins?: string[];
};

export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  "Cross-Origin-Opener-Policy": "same-origin",
};

export function contentSecurityPolicy(o: HeaderOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${o.nonce}' 'strict-dynamic'${o.dev ? " 'unsafe-eval'" : ""}`,
    // React writes style attributes; stylesheets are same-origin files.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${o.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self'${o.formActionOrigins?.length ? ` ${o.formActionOrigins.join(" ")}` : ""}`,
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
  ];
  if (o.https) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

export function securityHeaders(o: HeaderOptions): Record<string, string> {
  return {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": contentSecurityPolicy(o),
    // Two years, as hstspreload.org asks; only ever sent over https.
    ...(o.https ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains" } : {}),
  };
}

/** A nonce: 128 random bits, base64 (the CSP nonce-source grammar). */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Is this request served over https, as configured (CONSOLE_PUBLIC_URL / AUTH_URL) or as seen? */
export function isHttps(source: Record<string, string | undefined>, requestProtocol: string | null | undefined): boolean {
  const origin = source.CONSOLE_PUBLIC_URL || source.AUTH_URL;
  if (origin) {
    try {
      return new URL(origin).protocol === "https:";
    } catch {
      // fall through to what the request says
    }
  }
  return requestProtocol === "https:" || requestProtocol === "https";
}
