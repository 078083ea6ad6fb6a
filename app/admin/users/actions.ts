"use server";
/**
 * User management from the admin page: thin server actions over lib/recovery/access/users.ts (the same
 * functions as `npm run user`), through the one wrapper (lib/actions/mutation.ts): users.manage
 * (a denial is audited), a recent sign-in (sudo mode), then the zod-validated input, every
 * failure in one shape. Every change is audited in the same transaction as the change (users.ts).
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { text } from "@/lib/validation/text";
import { oidc } from "@/auth";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password";
import { defineMutation, fail, type ActionResult } from "@/lib/actions/mutation";
import { addUser, emailSchema, resetPassword, roleSchema, setDisabled, setRole, UserError } from "@/lib/recovery/access/users";

const password = text().min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`).max(1024);

const schemas = {
  add: z.object({ email: emailSchema, role: roleSchema, password: z.union([z.literal(""), password]).default("") }),
  setRole: z.object({ email: emailSchema, role: roleSchema }),
  setDisabled: z.object({ email: emailSchema, disabled: z.enum(["1", "0"]) }),
  resetPassword: z.object({ email: emailSchema, password }),
};

/** The service's refusals, on the field they concern. */
function userErrors(err: unknown) {
  if (!(err instanceof UserError)) return undefined;
  if (err.code === "user.exists") return fail(err.code, err.message, { fieldErrors: { email: [err.message] } });
  if (err.code === "user.invalid") return fail("input.invalid", err.message, { fieldErrors: { password: [err.message] } });
  return fail(err.code, err.message);
}

const spec = { access: "users.manage", sudo: true, args: "form-state", path: "/admin/users", errors: userErrors } as const;

function done(message: string): ActionResult {
  revalidatePath("/admin/users");
  return { ok: true, result: null, message };
}

export const addUserAction = defineMutation({ ...spec, name: "users.add", input: schemas.add }, async (i, ctx) => {
  if (!i.password && !oidc)
    return fail("input.invalid", "Some fields need attention.", { fieldErrors: { password: ["Set a password: single sign-on is not configured."] } });
  await addUser({ email: i.email, role: i.role, password: i.password || null }, ctx);
  return done(`Added ${i.email} (${i.role}).`);
});

export const setRoleAction = defineMutation({ ...spec, name: "users.set_role", input: schemas.setRole }, async (i, ctx) => {
  if (i.email === ctx.actor.email) return fail("user.self", "You cannot change your own role; ask another admin.");
  await setRole(i.email, i.role, ctx);
  return done(`${i.email} is now ${i.role}; their open sessions end within a minute.`);
});

export const setDisabledAction = defineMutation({ ...spec, name: "users.set_disabled", input: schemas.setDisabled }, async (i, ctx) => {
  const disable = i.disabled === "1";
  if (disable && i.email === ctx.actor.email) return fail("user.self", "You cannot disable your own account; ask another admin.");
  await setDisabled(i.email, disable, ctx);
  return done(disable ? `${i.email} is disabled; their open sessions end within a minute.` : `${i.email} is enabled.`);
});

export const resetPasswordAction = defineMutation({ ...spec, name: "users.reset_password", input: schemas.resetPassword }, async (i, ctx) => {
  await resetPassword(i.email, i.password, ctx);
  return done(`Password reset for ${i.email}; their open sessions end within a minute.`);
});
