/**
 * Password hashing: argon2id via @node-rs/argon2 (prebuilt, no install script).
 * Parameters are the OWASP Password Storage Cheat Sheet's argon2id minimum
 * (19 MiB memory, 2 iterations, 1 degree of parallelism).
 */
import { hash, verify } from "@node-rs/argon2";
import { isStorableText, MALFORMED_TEXT_MESSAGE } from "../validation/text.ts";

export const MIN_PASSWORD_LENGTH = 12;

const params = { algorithm: 2 /* Algorithm.Argon2id (a const enum, not importable under isolatedModules) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function checkPasswordPolicy(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (!isStorableText(password)) return `Password: ${MALFORMED_TEXT_MESSAGE}`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new Error(problem);
  return hash(password, params);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

// A real hash to verify against when the email is unknown, so that timing does not reveal
// whether an account exists.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hash("not-a-real-password-000", params);
  return dummy;
}
