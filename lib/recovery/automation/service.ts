import "server-only";
/**
 * What people do with automation: pause a policy (the panel's Pause button, for on-call) and resume
 * it. The pause lives in the console store, so every instance (the leader that runs policies
 * included) agrees; the change and its audit entry commit in one transaction.
 */
import { z } from "zod";
import { withConsole, type Sql } from "../../db/client.ts";
import { setAutomationPause } from "../../db/queries/automation.ts";
import { appendAudit, type RequestMeta } from "../audit/writer.ts";
import type { Actor } from "../access/authz.ts";
import { currentPolicies } from "./load.ts";

export const pauseSchema = z.object({
  policy: z.string({ error: "Name the policy." }).trim().min(1, "Name the policy.").max(63, "Policy names are at most 63 characters."),
  paused: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], { error: "Expected true (pause) or false (resume)." }),
});

export class AutomationError extends Error {
  constructor(
    public readonly code: "automation.unknown_policy",
    message: string,
  ) {
    super(message);
    this.name = "AutomationError";
  }
}

/** Pause or resume a policy; audited as automation.pause / automation.resume. Returns whether anything changed. */
export async function setPaused(raw: z.input<typeof pauseSchema>, actor: Actor, request: RequestMeta): Promise<{ changed: boolean }> {
  const input = pauseSchema.parse(raw);
  const policy = currentPolicies().find((p) => p.name === input.policy);
  if (!policy) throw new AutomationError("automation.unknown_policy", `No automation policy named "${input.policy}" is in force.`);
  return withConsole(
    (sql) =>
      sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const changed = await setAutomationPause(t, { policy: policy.name, paused: input.paused, by: actor.id, byEmail: actor.email });
        await appendAudit(
          {
            actor,
            action: input.paused ? "automation.pause" : "automation.resume",
            outcome: "succeeded",
            detail: { policy: policy.name, check: policy.check, action: policy.action, mode: policy.mode, changed },
            request,
          },
          { tx: t },
        );
        return { changed };
      }) as Promise<{ changed: boolean }>,
    { timeoutMs: 5000 },
  );
}
