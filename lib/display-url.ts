/**
 * A configured URL as people may read it (issue 12, point 9): scheme, host, port and path; never the
 * userinfo (user name and password), the query string or the fragment, where tokens and passwords
 * travel. Used wherever a page prints a configured URL (the runbook's commands, the worker probes).
 * Shared by server and client code: no server-only marker. Unit-tested in tests/unit/display-url.test.ts.
 */
export function displayUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  // `host` carries no userinfo; a URL without an authority (mailto:, data:) has an empty host.
  return u.host ? `${u.protocol}//${u.host}${u.pathname}` : `${u.protocol}${u.pathname}`;
}
