"use server";
/**
 * Automation server actions: thin exports through the one wrapper (lib/actions/mutation.ts), which
 * checks automation.pause, parses the input and answers every failure in one shape. The service
 * (lib/recovery/automation/service.ts) audits the pause with the change.
 */
import { defineMutation, fail } from "@/lib/actions/mutation";
import { AutomationError, pauseSchema, setPaused } from "@/lib/recovery/automation/service";

export const setAutomationPausedAction = defineMutation(
  {
    name: "automation.pause",
    access: "automation.pause",
    input: pauseSchema,
    path: "/",
    errors: (err) => (err instanceof AutomationError ? fail(err.code, err.message) : undefined),
  },
  async (i, { actor, request }) => {
    const { changed } = await setPaused(i, actor, request);
    return { ok: true, result: { changed }, message: i.paused ? "Automation paused." : "Automation resumed." };
  },
);
