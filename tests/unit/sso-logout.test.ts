import { describe, expect, it } from "vitest";
import { encode } from "@auth/core/jwt";
import { endSessionEndpoint, endSessionUrl, idTokenFromRequest, publicOrigin } from "@/lib/auth/sso-logout";

const discovery = (doc: Record<string, unknown>) => (async () => Response.json(doc)) as unknown as typeof fetch;

describe("RP-initiated logout", () => {
  it("uses the end_session_endpoint the provider advertises, and none when it has none", async () => {
    expect(await endSessionEndpoint({ issuer: "https://idp-a.example.com" }, discovery({ end_session_endpoint: "https://idp-a.example.com/logout" }))).toBe(
      "https://idp-a.example.com/logout",
    );
    expect(await endSessionEndpoint({ issuer: "https://idp-b.example.com" }, discovery({}))).toBeNull();
    // Not sent over plain http to another origin.
    expect(
      await endSessionEndpoint({ issuer: "https://idp-c.example.com" }, discovery({ end_session_endpoint: "http://elsewhere.example.com/logout" })),
    ).toBeNull();
  });

  it("sends the ID token hint, the client and where to come back", () => {
    const url = new URL(
      endSessionUrl({
        endpoint: "https://idp.example.com/logout?x=1",
        clientId: "rc",
        idToken: "eyJ.a.b",
        postLogoutRedirectUri: "https://console.example.com/login",
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      x: "1",
      id_token_hint: "eyJ.a.b",
      client_id: "rc",
      post_logout_redirect_uri: "https://console.example.com/login",
    });
  });

  it("comes back to the configured public origin, else the request's", () => {
    expect(publicOrigin(new Headers({ host: "localhost:3000" }), { CONSOLE_PUBLIC_URL: "https://rc.example.com/x" })).toBe("https://rc.example.com");
    expect(publicOrigin(new Headers({ host: "localhost:3000" }), {})).toBe("http://localhost:3000");
  });

  it("reads the ID token from the encrypted session cookie only", async () => {
    const secret = "unit-test-secret-unit-test-secret-000";
    process.env.AUTH_SECRET = secret;
    const salt = "authjs.session-token";
    const jwt = await encode({ token: { sub: "u1", idToken: "eyJ.id.token" }, secret, salt });
    expect(await idTokenFromRequest(new Headers({ cookie: `authjs.session-token=${jwt}` }))).toBe("eyJ.id.token");
    const plain = await encode({ token: { sub: "u1" }, secret, salt });
    expect(await idTokenFromRequest(new Headers({ cookie: `authjs.session-token=${plain}` }))).toBeNull();
    expect(await idTokenFromRequest(new Headers({ authorization: `Bearer ${jwt}` }))).toBeNull();
  });
});
