/**
 * The recovery actions' types: what an action definition provides, what the wrapper
 * (lib/recovery/actions/pipeline.ts) hands back, and the preview the dialog shows. Types only (and
 * one constant), no server code, so client components and the server actions' result mapping
 * (lib/actions/recovery.ts) can import them.
 */
import type { z } from "zod";
import type { Env } from "../../env.ts";
import type { AuditOutcome, RequestMeta } from "../audit/writer.ts";
import type { Actor } from "../access/authz.ts";
import type { CheckResult } from "../health/checks/types.ts";
import type { Permission } from "../access/permissions.ts";

export type ActionName = "circuit.reset" | "directives.cancel_stale" | "sessions.terminate_idle" | "queries.cancel_long" | "trading.halt";

/** What an approval request that names no known approval is audited as: never another action's name. */
export const UNKNOWN_APPROVAL_ACTION = "approval.unknown";
export type AuditedAction = ActionName | typeof UNKNOWN_APPROVAL_ACTION;

export type TargetOutcome = { target: string; outcome: string; detail?: string };

export type PreviewData<T> = {
  /** Exactly what a confirm may touch. */
  targets: T[];
  /** Shown, never touched, with the reason. */
  excluded: { target: string; reason: string }[];
  /** The preview table: one row per target (bounded for display). */
  columns: { key: string; label: string }[];
  rows: Record<string, string | number | null>[];
  summary: string;
};

export type ExecuteResult = {
  outcome: Extract<AuditOutcome, "succeeded" | "partial" | "failed" | "timeout_unknown">;
  perTarget: TargetOutcome[];
  message: string;
  detail?: Record<string, unknown>;
  error?: string;
};

export type ActionDefinition<T, P> = {
  name: ActionName;
  /** As the runbook names it, e.g. "Reset circuit". */
  title: string;
  /** The check whose panel carries the button and whose value is recorded before and after (none for halt). */
  checkId: string | null;
  /** Destructive actions need the typed confirmation and a recent sign-in. */
  destructive: boolean;
  /**
   * What a destructive action's confirmation asks to type: by default the number of targets the
   * preview showed; an action whose count says nothing (halt trading: always one) names its words.
   */
  confirmationWords?: string;
  cooldownSeconds(e: Env): number;
  /** Above this many targets, a second on-call must approve; undefined = never. */
  approvalThreshold(e: Env): number | undefined;
  /** Overrides the threshold when approval depends on more than a count (halt trading: unless L3). */
  requiresApproval?(count: number, e: Env): Promise<boolean>;
  params: z.ZodType<P>;
  targetKey(t: T): string;
  preview(params: P): Promise<PreviewData<T>>;
  execute(targets: T[], ctx: { params: P; idempotencyKey: string; requestId: string }): Promise<ExecuteResult>;
};

/** How the wrapper learns who is calling: the real session in server actions, a stand-in in tests. */
export type GuardContext = {
  resolveActor(permission: Permission, action: string): Promise<Actor>;
  request: RequestMeta;
  now?: () => number;
};

export type PreviewView = {
  token: string;
  expiresAt: string;
  count: number;
  columns: PreviewData<unknown>["columns"];
  rows: PreviewData<unknown>["rows"];
  excluded: PreviewData<unknown>["excluded"];
  summary: string;
  needsApproval: boolean;
  destructive: boolean;
  /** Destructive actions: exactly what to type to confirm (the count, or the action's words). */
  confirmWord: string | null;
};

export type ActionResult = ExecuteResult & {
  intentSeq: number;
  outcomeSeq: number | null;
  before: CheckResult | null;
  after: CheckResult | null;
  durationMs: number;
};

/** The typed state every action returns: field errors for the form, a message, and the result. */
export type ActionState<R = ActionResult> = {
  ok: boolean;
  status?: "done" | "in_progress" | "approval_required";
  code?: string;
  message?: string;
  errors?: Record<string, string[]>;
  retryAfterSeconds?: number;
  approvalId?: string;
  /** Sudo mode: sign in again this way, then retry (components/reauth-dialog.tsx). */
  reauth?: { method: "password" | "sso" };
  result?: R;
};
