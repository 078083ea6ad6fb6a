/**
 * A real, minimal OpenID Connect provider for the SSO tests, on localhost: discovery, JWKS,
 * authorize (a sign-in page with one button per test user), token (authorization code with
 * PKCE S256, client_secret_basic or _post) and userinfo. ID tokens are RS256, signed with a key
 * made at start. It keeps a log of the authorize requests so tests can see prompt/max_age, and
 * of the RP-initiated logout requests (end_session_endpoint), whose ID token hint it verifies.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";

export type TestIdpUser = { sub: string; email: string; name: string; groups: string[] };

type PendingCode = { user: TestIdpUser; clientId: string; redirectUri: string; nonce?: string; challenge?: string; authTime: number };

export type TestIdp = {
  issuer: string;
  users: TestIdpUser[];
  authorizeLog: Array<Record<string, string>>;
  /** RP-initiated logouts: the query, and the subject of a valid id_token_hint (null if none or invalid). */
  logoutLog: Array<{ params: Record<string, string>; hintSub: string | null }>;
  close(): Promise<void>;
};

function html(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
  res.end(`<!doctype html><html><head><title>Test IdP</title></head><body>${body}</body></html>`);
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startTestIdp(opts: {
  port: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Where RP-initiated logout may send the browser back (the console's /login). */
  postLogoutRedirectUri: string;
  users: TestIdpUser[];
}): Promise<TestIdp> {
  const issuer = `http://localhost:${opts.port}`;
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, TestIdpUser>();
  const authorizeLog: Array<Record<string, string>> = [];
  const logoutLog: TestIdp["logoutLog"] = [];

  const claimsOf = (u: TestIdpUser) => ({ sub: u.sub, email: u.email, email_verified: true, name: u.name, groups: u.groups });

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", issuer);
      if (url.pathname === "/.well-known/openid-configuration") {
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          end_session_endpoint: `${issuer}/logout`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
          scopes_supported: ["openid", "email", "profile"],
          claims_supported: ["sub", "email", "email_verified", "name", "groups", "auth_time", "nonce"],
        });
      }
      if (url.pathname === "/jwks") return json(res, 200, { keys: [jwk] });
      if (url.pathname === "/authorize" && req.method === "GET") {
        const p = Object.fromEntries(url.searchParams);
        authorizeLog.push(p);
        if (p.client_id !== opts.clientId || p.redirect_uri !== opts.redirectUri || p.response_type !== "code") {
          return html(res, 400, "<h1>Invalid authorization request</h1>");
        }
        const hidden = Object.entries(p)
          .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
          .join("");
        const buttons = opts.users.map((u) => `<button type="submit" name="user" value="${esc(u.sub)}">Continue as ${esc(u.name)}</button>`).join(" ");
        return html(res, 200, `<h1>Test identity provider</h1><form method="post" action="/authorize">${hidden}${buttons}</form>`);
      }
      if (url.pathname === "/authorize" && req.method === "POST") {
        const p = await readBody(req);
        const user = opts.users.find((u) => u.sub === p.get("user"));
        if (!user || p.get("redirect_uri") !== opts.redirectUri) return html(res, 400, "<h1>Unknown user</h1>");
        const code = randomBytes(24).toString("base64url");
        codes.set(code, {
          user,
          clientId: p.get("client_id") ?? "",
          redirectUri: opts.redirectUri,
          nonce: p.get("nonce") ?? undefined,
          challenge: p.get("code_challenge") ?? undefined,
          authTime: Math.floor(Date.now() / 1000),
        });
        const back = new URL(opts.redirectUri);
        back.searchParams.set("code", code);
        if (p.get("state")) back.searchParams.set("state", p.get("state")!);
        back.searchParams.set("iss", issuer);
        res.writeHead(302, { Location: back.toString() });
        return res.end();
      }
      if (url.pathname === "/token" && req.method === "POST") {
        const p = await readBody(req);
        let clientId = p.get("client_id");
        let secret = p.get("client_secret");
        const basic = req.headers.authorization?.match(/^Basic (.+)$/);
        if (basic) {
          const [id, s] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
          clientId = decodeURIComponent((id ?? "").replace(/\+/g, " "));
          secret = decodeURIComponent((s ?? "").replace(/\+/g, " "));
        }
        if (clientId !== opts.clientId || secret !== opts.clientSecret) return json(res, 401, { error: "invalid_client" });
        const pending = codes.get(p.get("code") ?? "");
        codes.delete(p.get("code") ?? "");
        if (!pending || p.get("grant_type") !== "authorization_code" || p.get("redirect_uri") !== pending.redirectUri)
          return json(res, 400, { error: "invalid_grant" });
        if (pending.challenge) {
          const verifier = p.get("code_verifier") ?? "";
          if (createHash("sha256").update(verifier).digest("base64url") !== pending.challenge)
            return json(res, 400, { error: "invalid_grant", error_description: "PKCE" });
        }
        const now = Math.floor(Date.now() / 1000);
        const idToken = await new SignJWT({ ...claimsOf(pending.user), nonce: pending.nonce, auth_time: pending.authTime })
          .setProtectedHeader({ alg: "RS256", kid: "test-key" })
          .setIssuer(issuer)
          .setAudience(opts.clientId)
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(privateKey);
        const accessToken = randomBytes(24).toString("base64url");
        tokens.set(accessToken, pending.user);
        return json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 300, id_token: idToken, scope: "openid email profile" });
      }
      if (url.pathname === "/logout" && req.method === "GET") {
        const params = Object.fromEntries(url.searchParams);
        let hintSub: string | null = null;
        if (params.id_token_hint) {
          // Expired hints are fine (a session outlives its ID token); the signature and audience are not optional.
          const verified = await jwtVerify(params.id_token_hint, publicKey, { issuer, audience: opts.clientId, clockTolerance: "1 day" }).catch(() => null);
          hintSub = typeof verified?.payload.sub === "string" ? verified.payload.sub : null;
        }
        logoutLog.push({ params, hintSub });
        if (params.post_logout_redirect_uri !== opts.postLogoutRedirectUri || (params.client_id && params.client_id !== opts.clientId)) {
          return html(res, 400, "<h1>Invalid logout request</h1>");
        }
        res.writeHead(302, { Location: params.post_logout_redirect_uri });
        return res.end();
      }
      if (url.pathname === "/userinfo") {
        const user = tokens.get(req.headers.authorization?.replace(/^Bearer /, "") ?? "");
        return user ? json(res, 200, claimsOf(user)) : json(res, 401, { error: "invalid_token" });
      }
      json(res, 404, { error: "not_found" });
    } catch (err) {
      json(res, 500, { error: "server_error", error_description: String(err) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Both stacks: the console and the browser may resolve localhost to ::1 or 127.0.0.1.
    server.listen(opts.port, () => resolve());
  });
  return {
    issuer,
    users: opts.users,
    authorizeLog,
    logoutLog,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
