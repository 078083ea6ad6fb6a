/**
 * The HTTP answer to a refused credentials sign-in. next-auth turns any error thrown by
 * `authorize` into a redirect to the sign-in page carrying the error's code
 * (`/login?error=CredentialsSignin&code=…`), status 302, or a JSON `{ url }` when the client asked
 * for one. A client told to wait deserves a status and a Retry-After it can act on, so the route
 * handler (app/api/auth/[...nextauth]/route.ts) maps two codes set in auth.ts:
 *   busy_<s>       → 503 Service Unavailable, Retry-After: s (password hashing at capacity)
 *   throttled_<s>  → 429 Too Many Requests,   Retry-After: s (lib/auth/login-throttle.ts)
 * The sign-in form's server action reads the same codes (app/login/actions.ts) and says how long
 * to wait; a server action's HTTP status cannot be chosen.
 */

export type Refusal = { kind: "busy" | "throttled"; retryAfterSeconds: number };

/** The refusal a CredentialsSignin code stands for, if any. */
export function refusalFromCode(code: string | null | undefined): Refusal | null {
  const m = code?.match(/^(busy|throttled)_(\d{1,6})$/);
  return m ? { kind: m[1] as Refusal["kind"], retryAfterSeconds: Number(m[2]) } : null;
}

async function redirectTarget(res: Response): Promise<string | null> {
  const location = res.headers.get("location");
  if (location) return location;
  if (!res.headers.get("content-type")?.includes("application/json")) return null;
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { url?: unknown } | null;
  return typeof body?.url === "string" ? body.url : null;
}

/** A 503 or 429 with Retry-After in place of next-auth's redirect, or the response unchanged. */
export async function shapeSignInResponse(res: Response): Promise<Response> {
  const target = await redirectTarget(res);
  let code: string | null = null;
  try {
    code = target ? new URL(target, "http://x").searchParams.get("code") : null;
  } catch {
    return res;
  }
  const refusal = refusalFromCode(code);
  if (!refusal) return res;
  const status = refusal.kind === "busy" ? 503 : 429;
  return Response.json(
    { error: refusal.kind === "busy" ? "sign_in_busy" : "sign_in_throttled", retryAfterSeconds: refusal.retryAfterSeconds },
    { status, headers: { "Retry-After": String(refusal.retryAfterSeconds), "Cache-Control": "no-store" } },
  );
}
