import "server-only";
/**
 * The policies in force: AUTOMATION_FILE read once at start-up (lib/server-start.ts), each policy's
 * params checked against its action's own schema. No file, no policies: nothing is automated.
 */
import { readFileSync } from "node:fs";
import { env } from "../../env.ts";
import { actionByName } from "../actions/index.ts";
import { checkParams, parsePolicies, PolicyFileError, type Policy } from "./policy.ts";

/** Parse and fully validate a policy file's text (the actions' params included). */
export function validatePolicies(text: string, file: string): Policy[] {
  const policies = parsePolicies(text, file);
  checkParams(policies, text, file, (p) => {
    const def = actionByName(p.action);
    if (!def) return `unknown action ${p.action}`;
    const r = def.params.safeParse(p.params);
    return r.success ? null : r.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
  });
  return policies;
}

export function loadPolicyFile(file: string): Policy[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PolicyFileError(file, null, `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return validatePolicies(text, file);
}

const g = globalThis as unknown as { __rcPolicies?: Policy[] };

/** The policies in force (loaded once per process); [] when AUTOMATION_FILE is unset. */
export function currentPolicies(): Policy[] {
  if (!g.__rcPolicies) {
    const file = env().AUTOMATION_FILE;
    g.__rcPolicies = file ? loadPolicyFile(file) : [];
  }
  return g.__rcPolicies;
}

/** For tests: set (or with no argument, forget) the policies in force. */
export function setPolicies(policies?: Policy[]): void {
  g.__rcPolicies = policies;
}
