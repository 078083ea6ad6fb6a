/**
 * Password hashing: argon2id via @node-rs/argon2 (prebuilt, no install script).
 * Parameters are the OWASP Password Storage Cheat Sheet's argon2id minimum
 * (19 MiB memory, 2 iterations, 1 degree of parallelism).
 *
 * Every hash and verify goes through one gate: HASH_CONCURRENCY (2) at a time, then a queue of
 * HASH_QUEUE (8); beyond that the call is refused at once with HashBusyError, which the sign-in
 * answers as 503 with Retry-After (lib/auth/sign-in-response.ts). Each hash costs ~19 MiB and a
 * core for tens of milliseconds, so without the gate a flood of sign-ins (unknown accounts cost
 * a hash too, so that timing does not reveal which exist) would exhaust the CPU and memory of
 * the console that the on-call needs during an incident.
 */
import { hash, verify } from "@node-rs/argon2";
import { isStorableText, MALFORMED_TEXT_MESSAGE } from "../validation/text.ts";

export const HASH_CONCURRENCY = 2;
export const HASH_QUEUE = 8;
/** What a refused caller is told to wait: the queue drains in well under a second. */
export const HASH_RETRY_AFTER_SECONDS = 2;

export class HashBusyError extends Error {
  readonly retryAfterSeconds = HASH_RETRY_AFTER_SECONDS;
  constructor() {
    super("password hashing is at capacity");
    this.name = "HashBusyError";
  }
}

/** A counting semaphore with a bounded queue: run now, wait in line, or be refused. */
export function createGate(opts: { concurrency: number; queue: number }) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < opts.concurrency) running++;
      else if (waiting.length < opts.queue) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw new HashBusyError();
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}

export const hashGate = createGate({ concurrency: HASH_CONCURRENCY, queue: HASH_QUEUE });

export const MIN_PASSWORD_LENGTH = 12;

const params = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum, not importable under isolatedModules) */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function checkPasswordPolicy(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (!isStorableText(password)) return `Password: ${MALFORMED_TEXT_MESSAGE}`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new Error(problem);
  return hashGate.run(() => hash(password, params));
}

/** True when the password matches; throws HashBusyError when the gate refuses (nothing checked). */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  return hashGate.run(async () => {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  });
}

// A real hash to verify against when the email is unknown, so that timing does not reveal
// whether an account exists.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  // Made once, outside the gate: it is not a caller's request, and it must not be refused.
  dummy ??= hash("not-a-real-password-000", params);
  return dummy;
}
