import "server-only";
/**
 * Completing an OIDC sign-in: map the role claim, upsert the user into console.users (no
 * password), and audit. SSO users live in the same table as local ones, so disabling them and
 * revoking their sessions (session_version) works the same way.
 *
 * The identity provider is the source of truth for an SSO user's role: each sign-in applies the
 * mapped role (a change bumps the session version, like `set-role`). Removing someone from
 * every mapped group denies their next sign-in; to end their current session at once, disable
 * them in the console (`npm run user -- disable`, or /admin/users).
 *
 * Linking: a user is found by issuer+subject; on first SSO sign-in an existing local account
 * with the same email is linked only when the provider says the email is verified
 * (`email_verified: true`; a missing claim, or "true" as a string, is not a verification).
 * Otherwise anyone who can set that email at the provider would take over the local account.
 */
import { withConsole, type Sql } from "../db/client.ts";
import { normalizeEmail } from "../db/queries/users.ts";
import type { Role } from "../db/schema/console.ts";
import { appendAudit, type RequestMeta } from "../recovery/audit/writer.ts";
import { auditRefusal } from "../recovery/audit/fold.ts";
import { claimValues, mapRole, ssoSubject, type OidcConfig } from "./oidc.ts";

export type SsoDenial = "no_role" | "disabled" | "no_email" | "conflict" | "unavailable";

export type SsoUser = { id: string; email: string; name: string | null; role: Role; sessionVersion: number };

export type SsoResult = { ok: true; user: SsoUser } | { ok: false; reason: SsoDenial };

type Claims = Record<string, unknown>;

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

export async function completeSsoSignIn(input: { claims: Claims; config: OidcConfig; request?: RequestMeta | null }): Promise<SsoResult> {
  const { claims, config } = input;
  const sub = str(claims.sub);
  const email = str(claims.email) ? normalizeEmail(str(claims.email)!) : null;
  const name = str(claims.name) ?? str(claims.preferred_username);
  const values = claimValues(claims, config.roleClaim);
  const role = mapRole(values, config.roleMap);
  const subject = sub ? ssoSubject(config.issuer, sub) : null;
  const detail = { method: "sso", issuer: config.issuer, claim: config.roleClaim, values: values.slice(0, 20) };

  const deny = async (reason: SsoDenial, actor: { id?: string; email?: string | null; role?: string } | null, outcome: "denied" | "failed" = "denied") => {
    await auditRefusal(
      { actor: actor ?? { email }, action: "auth.login", outcome, reason, detail: { ...detail, reason }, request: input.request ?? null },
      reason,
    );
    return { ok: false as const, reason };
  };

  try {
    if (!subject || !email) return await deny("no_email", null, "failed");
    if (!role) return await deny("no_role", null);

    return await withConsole(
      (sql) =>
        sql.begin(async (raw) => {
          const tx = raw as unknown as Sql;
          type Row = {
            id: string;
            email: string;
            name: string | null;
            role: Role;
            session_version: number;
            disabled_at: Date | null;
            sso_subject: string | null;
          };
          let [user] = await tx<Row[]>`
            select id, email, name, role, session_version, disabled_at, sso_subject from console.users where sso_subject = ${subject} for update`;
          if (!user) {
            const [byEmail] = await tx<Row[]>`
              select id, email, name, role, session_version, disabled_at, sso_subject from console.users where email = ${email} for update`;
            if (byEmail && (byEmail.sso_subject !== null || claims.email_verified !== true)) {
              await appendAudit(
                {
                  actor: { id: byEmail.id, email },
                  action: "auth.login",
                  outcome: "denied",
                  reason: "conflict",
                  detail: { ...detail, reason: "conflict" },
                  request: input.request ?? null,
                },
                { tx },
              );
              return { ok: false as const, reason: "conflict" as const };
            }
            if (byEmail) {
              await tx`update console.users set sso_subject = ${subject}, updated_at = now() where id = ${byEmail.id}`;
              await appendAudit(
                {
                  actor: { id: byEmail.id, email, role: byEmail.role },
                  action: "users.link_sso",
                  outcome: "succeeded",
                  params: { email, issuer: config.issuer },
                  request: input.request ?? null,
                },
                { tx },
              );
              user = { ...byEmail, sso_subject: subject };
            } else {
              const [created] = await tx<Row[]>`
                insert into console.users (email, name, role, password_hash, sso_subject)
                values (${email}, ${name}, ${role}, null, ${subject})
                returning id, email, name, role, session_version, disabled_at, sso_subject`;
              await appendAudit(
                {
                  actor: { id: created!.id, email, role },
                  action: "users.add",
                  outcome: "succeeded",
                  params: { email, role, via: "sso", issuer: config.issuer },
                  request: input.request ?? null,
                },
                { tx },
              );
              user = created!;
            }
          }
          if (user.disabled_at) {
            await appendAudit(
              {
                actor: { id: user.id, email: user.email, role: user.role },
                action: "auth.login",
                outcome: "failed",
                reason: "disabled",
                detail: { ...detail, reason: "disabled" },
                request: input.request ?? null,
              },
              { tx },
            );
            return { ok: false as const, reason: "disabled" as const };
          }
          let sessionVersion = user.session_version;
          if (user.role !== role) {
            // The provider's groups decide the role; open sessions with the old role end.
            const [u] = await tx<{ session_version: number }[]>`
              update console.users set role = ${role}, session_version = session_version + 1, updated_at = now()
              where id = ${user.id} returning session_version`;
            sessionVersion = u!.session_version;
            await appendAudit(
              {
                actor: { id: user.id, email: user.email, role },
                action: "users.set_role",
                outcome: "succeeded",
                params: { email: user.email, role, from: user.role, via: "sso" },
                request: input.request ?? null,
              },
              { tx },
            );
          }
          await tx`update console.users set last_login_at = now(), name = coalesce(${name}, name) where id = ${user.id}`;
          await appendAudit(
            {
              actor: { id: user.id, email: user.email, role },
              action: "auth.login",
              outcome: "succeeded",
              detail: { ...detail, role },
              request: input.request ?? null,
            },
            { tx },
          );
          return { ok: true as const, user: { id: user.id, email: user.email, name: name ?? user.name, role, sessionVersion } };
        }) as Promise<SsoResult>,
      { timeoutMs: 10_000 },
    );
  } catch (err) {
    // No audit, no session: a sign-in we cannot record does not happen.
    console.error("[auth] SSO sign-in could not be completed:", err instanceof Error ? err.message : err);
    return { ok: false, reason: "unavailable" };
  }
}
