/**
 * The shared preamble of the suites that call server code (authorization, the data layer, server
 * actions) outside Next: next-auth's `auth()` returns `session.current` (the session as next-auth
 * would decode it from the cookie), `next/headers` hands out `request.headers`, and `next/cache`'s
 * revalidatePath does nothing. Import it before the code under test:
 *
 *   import { request, session } from "../support/next-request";
 *   request.headers = new Headers({ "x-request-id": "my-suite" });
 *
 * Its mocks then apply to every module the test file imports after it. A suite that needs the real
 * next-auth (the sign-in suites) simply does not import it.
 */
import { vi } from "vitest";

/** The signed-in session, or null (anonymous). */
export const session: { current: null | Record<string, unknown> } = { current: null };
/** The request's headers, as `headers()` returns them in a server action or a page. */
export const request: { headers: Headers } = { headers: new Headers() };

vi.mock("@/auth", () => ({
  auth: async () => session.current,
  oidc: null,
  SSO_PROVIDER_ID: "oidc",
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  unstable_update: vi.fn(async () => null),
}));
vi.mock("next/headers", () => ({ headers: async () => request.headers }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
