"use server";
/**
 * User management from the admin page: thin server actions over lib/recovery/users.ts (the same
 * functions as `npm run user`). Each is a POST endpoint anyone can call, so each checks, itself:
 * users.manage (a denial is audited), a recent sign-in (sudo mode), then zod-validated input.
 * Every change is audited in the same transaction as the change (users.ts).
 */
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { text } from "@/lib/validation/text";
import { oidc } from "@/auth";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password";
import { requestMetaFrom } from "@/lib/auth/request-meta";
import { actionFailure, requirePermission, requireRecentAuth, type Actor } from "@/lib/recovery/authz";
import { addUser, emailSchema, resetPassword, roleSchema, setDisabled, setRole, UserError } from "@/lib/recovery/users";

export type UserFormState = {
  ok: boolean;
  code?: string;
  message?: string;
  errors?: Record<string, string[]>;
  reauth?: { method: "password" | "sso" };
};

const password = text().min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`).max(1024);

const schemas = {
  add: z.object({ email: emailSchema, role: roleSchema, password: z.union([z.literal(""), password]) }),
  setRole: z.object({ email: emailSchema, role: roleSchema }),
  setDisabled: z.object({ email: emailSchema, disabled: z.enum(["1", "0"]) }),
  resetPassword: z.object({ email: emailSchema, password }),
};

type Guarded = { actor: Actor; ctx: { actor: Actor; request: ReturnType<typeof requestMetaFrom> } };

/** Permission (audited when denied), then sudo mode. */
async function guard(action: string): Promise<Guarded | UserFormState> {
  try {
    const actor = await requirePermission("users.manage", { action });
    requireRecentAuth(actor);
    return { actor, ctx: { actor, request: requestMetaFrom(await headers(), "/admin/users") } };
  } catch (err) {
    return actionFailure(err);
  }
}

function fields(form: FormData, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, typeof form.get(n) === "string" ? (form.get(n) as string) : ""]));
}

function invalid(error: z.ZodError): UserFormState {
  return { ok: false, code: "input.invalid", message: "Some fields need attention.", errors: z.flattenError(error).fieldErrors as Record<string, string[]> };
}

function failed(err: unknown): UserFormState {
  if (err instanceof UserError) {
    if (err.code === "user.exists") return { ok: false, code: err.code, message: err.message, errors: { email: [err.message] } };
    if (err.code === "user.invalid") return { ok: false, code: err.code, message: err.message, errors: { password: [err.message] } };
    return { ok: false, code: err.code, message: err.message };
  }
  console.error("[admin] user change failed:", err instanceof Error ? err.message : err);
  return { ok: false, code: "unavailable", message: "The change could not be saved; nothing was changed. Try again." };
}

const isGuarded = (g: Guarded | UserFormState): g is Guarded => "actor" in g;

export async function addUserAction(_prev: UserFormState, form: FormData): Promise<UserFormState> {
  const g = await guard("users.add");
  if (!isGuarded(g)) return g;
  const parsed = schemas.add.safeParse(fields(form, ["email", "role", "password"]));
  if (!parsed.success) return invalid(parsed.error);
  if (!parsed.data.password && !oidc) {
    return { ok: false, code: "input.invalid", message: "Some fields need attention.", errors: { password: ["Set a password: single sign-on is not configured."] } };
  }
  try {
    await addUser({ email: parsed.data.email, role: parsed.data.role, password: parsed.data.password || null }, g.ctx);
  } catch (err) {
    return failed(err);
  }
  revalidatePath("/admin/users");
  return { ok: true, message: `Added ${parsed.data.email} (${parsed.data.role}).` };
}

export async function setRoleAction(_prev: UserFormState, form: FormData): Promise<UserFormState> {
  const g = await guard("users.set_role");
  if (!isGuarded(g)) return g;
  const parsed = schemas.setRole.safeParse(fields(form, ["email", "role"]));
  if (!parsed.success) return invalid(parsed.error);
  if (parsed.data.email === g.actor.email) return { ok: false, code: "user.self", message: "You cannot change your own role; ask another admin." };
  try {
    await setRole(parsed.data.email, parsed.data.role, g.ctx);
  } catch (err) {
    return failed(err);
  }
  revalidatePath("/admin/users");
  return { ok: true, message: `${parsed.data.email} is now ${parsed.data.role}; their open sessions end within a minute.` };
}

export async function setDisabledAction(_prev: UserFormState, form: FormData): Promise<UserFormState> {
  const g = await guard("users.set_disabled");
  if (!isGuarded(g)) return g;
  const parsed = schemas.setDisabled.safeParse(fields(form, ["email", "disabled"]));
  if (!parsed.success) return invalid(parsed.error);
  const disable = parsed.data.disabled === "1";
  if (disable && parsed.data.email === g.actor.email) return { ok: false, code: "user.self", message: "You cannot disable your own account; ask another admin." };
  try {
    await setDisabled(parsed.data.email, disable, g.ctx);
  } catch (err) {
    return failed(err);
  }
  revalidatePath("/admin/users");
  return { ok: true, message: disable ? `${parsed.data.email} is disabled; their open sessions end within a minute.` : `${parsed.data.email} is enabled.` };
}

export async function resetPasswordAction(_prev: UserFormState, form: FormData): Promise<UserFormState> {
  const g = await guard("users.reset_password");
  if (!isGuarded(g)) return g;
  const parsed = schemas.resetPassword.safeParse(fields(form, ["email", "password"]));
  if (!parsed.success) return invalid(parsed.error);
  try {
    await resetPassword(parsed.data.email, parsed.data.password, g.ctx);
  } catch (err) {
    return failed(err);
  }
  revalidatePath("/admin/users");
  return { ok: true, message: `Password reset for ${parsed.data.email}; their open sessions end within a minute.` };
}
