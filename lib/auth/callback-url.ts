/**
 * Where to go after signing in. Only same-site relative paths are followed (no open redirects);
 * with none, /login/landing sends each role to its home (lib/recovery/access/permissions.ts homeFor).
 */
export const LANDING_PATH = "/login/landing";

export function safeCallbackUrl(raw: unknown): string {
  const v = typeof raw === "string" ? raw.trim() : "";
  // "/x" only: not "//host", not "/\\host" (browsers treat a backslash as a slash).
  if (!v.startsWith("/") || v.startsWith("//") || v.startsWith("/\\") || v.length > 2000) return LANDING_PATH;
  if (v === "/" || v.startsWith("/login")) return LANDING_PATH;
  return v;
}
