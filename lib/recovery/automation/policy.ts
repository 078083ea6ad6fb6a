/**
 * Level 1 automated recovery: the policy file (AUTOMATION_FILE), YAML or JSON, parsed and
 * validated with the line of every problem. No server-only marker: the start-up check, the unit
 * tests and the demo read it too. The schema is documented in docs/automation.md, with the example
 * automation.example.yaml.
 *
 *   policies:
 *     - name: reset-circuit-when-open          # unique; the audit's reason names it
 *       check: circuit_breaker                 # the check it watches (a registry id)
 *       when:
 *         critical_for_seconds: 30             # critical for at least this long
 *         value_at_least: 1                    # optional: and the check's value ≥ this
 *         value_at_most: 100                   # optional: and the check's value ≤ this
 *       action: circuit.reset                  # one of the recovery actions (not trading.halt)
 *       params: {}                             # the action's parameters (validated by the action)
 *       limits:
 *         max_runs_per_incident: 2
 *         min_seconds_between_runs: 60
 *         max_targets: 1                       # above it, hand over to a person
 *       mode: on                               # off | dry-run | on
 */
import { isMap, LineCounter, parseDocument, type Node } from "yaml";
import { z } from "zod";

export const AUTOMATION_MODES = ["off", "dry-run", "on"] as const;
export type AutomationMode = (typeof AUTOMATION_MODES)[number];

/** Actions a policy may run. Halting trading is Level 3: a person's decision, never automated. */
export const AUTOMATABLE_ACTIONS = ["circuit.reset", "directives.cancel_stale", "sessions.terminate_idle"] as const;
export type AutomatableAction = (typeof AUTOMATABLE_ACTIONS)[number];

/** The registry's check ids (lib/recovery/health/checks/index.ts); a test keeps the two in step. */
export const KNOWN_CHECK_IDS = [
  "signals_recent",
  "directives_stale_pending",
  "circuit_breaker",
  "executions_failed",
  "db_connections",
  "idle_transactions",
  "worker_rate_limit",
  "ea_heartbeat",
] as const;

const count = (what: string, min: number, max: number) =>
  z
    .number({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a whole number`) })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);

const policySchema = z
  .object({
    name: z
      .string({ message: "name is required: a short label such as reset-circuit-when-open" })
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "name must be 1-63 characters: lower-case letters, digits, '.', '_' or '-'"),
    check: z.enum(KNOWN_CHECK_IDS, { message: `check must be one of: ${KNOWN_CHECK_IDS.join(", ")}` }),
    when: z
      .object(
        {
          critical_for_seconds: count("critical_for_seconds", 0, 86_400),
          value_at_least: z.number({ message: "value_at_least must be a number" }).optional(),
          value_at_most: z.number({ message: "value_at_most must be a number" }).optional(),
        },
        { message: "when is required: { critical_for_seconds: N }" },
      )
      .strict()
      .refine((w) => w.value_at_least === undefined || w.value_at_most === undefined || w.value_at_least <= w.value_at_most, {
        message: "value_at_least must not be above value_at_most",
      }),
    action: z.enum(AUTOMATABLE_ACTIONS, {
      message: `action must be one of: ${AUTOMATABLE_ACTIONS.join(", ")} (halting trading is never automated)`,
    }),
    params: z.record(z.string(), z.unknown(), { message: "params must be a mapping" }).default({}),
    limits: z
      .object(
        {
          max_runs_per_incident: count("max_runs_per_incident", 1, 100),
          min_seconds_between_runs: count("min_seconds_between_runs", 0, 86_400),
          max_targets: count("max_targets", 1, 100_000),
        },
        { message: "limits is required: { max_runs_per_incident, min_seconds_between_runs, max_targets }" },
      )
      .strict(),
    mode: z.enum(AUTOMATION_MODES, { message: `mode must be one of: ${AUTOMATION_MODES.join(", ")}` }),
  })
  .strict();

const fileSchema = z
  .object({ policies: z.array(policySchema, { message: "policies must be a list" }) }, { message: "the file must be a mapping with a `policies` list" })
  .strict();

export type Policy = {
  name: string;
  check: string;
  when: { criticalForSeconds: number; valueAtLeast?: number; valueAtMost?: number };
  action: AutomatableAction;
  params: Record<string, unknown>;
  limits: { maxRunsPerIncident: number; minSecondsBetweenRuns: number; maxTargets: number };
  mode: AutomationMode;
};

export class PolicyFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number | null,
    public readonly reason: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ""}: ${reason}`);
    this.name = "PolicyFileError";
  }
}

/** The line of the node at `path` (or of its nearest ancestor that exists), 1-based. */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: PropertyKey[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as Node | undefined;
    const offset = node && typeof node === "object" && "range" in node ? node.range?.[0] : undefined;
    if (offset === undefined) continue;
    // Something missing inside a mapping: point at the mapping's own key ("limits:"), not its first entry.
    if (n < path.length && n >= 1 && typeof path[n - 1] === "string") return lineOfKey(doc, lc, path.slice(0, n - 1), path[n - 1] as string, offset);
    return lc.linePos(offset).line;
  }
  return null;
}

/** Where an unrecognized key sits: the key node's line. */
function lineOfKey(doc: ReturnType<typeof parseDocument>, lc: LineCounter, parent: PropertyKey[], key: string, fallback?: number): number | null {
  const node = parent.length ? doc.getIn(parent as (string | number)[], true) : doc.contents;
  if (isMap(node)) {
    const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    const offset = (pair?.key as Node | undefined)?.range?.[0];
    if (offset !== undefined) return lc.linePos(offset).line;
  }
  return fallback !== undefined ? lc.linePos(fallback).line : lineOf(doc, lc, parent);
}

/**
 * Parse and validate a policy file's text. Throws PolicyFileError with the line and the reason of
 * the first problem. JSON is YAML, so one parser reads both.
 */
export function parsePolicies(text: string, file = "AUTOMATION_FILE"): Policy[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, version: "1.2" });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
    throw new PolicyFileError(file, line, `not valid YAML or JSON: ${e.message.split("\n")[0]}`);
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path as PropertyKey[];
    let line: number | null;
    let reason = issue.message;
    if (issue.code === "unrecognized_keys") {
      line = lineOfKey(doc, lc, path, issue.keys[0]!);
      reason = `unknown key "${issue.keys[0]}"${path.length ? ` in ${describe(path, raw)}` : ""}`;
    } else {
      line = lineOf(doc, lc, path);
      if (path.length) reason = `${describe(path, raw)}: ${reason}`;
    }
    throw new PolicyFileError(file, line, reason);
  }
  const policies = parsed.data.policies.map((p): Policy => ({
    name: p.name,
    check: p.check,
    when: { criticalForSeconds: p.when.critical_for_seconds, valueAtLeast: p.when.value_at_least, valueAtMost: p.when.value_at_most },
    action: p.action,
    params: p.params,
    limits: { maxRunsPerIncident: p.limits.max_runs_per_incident, minSecondsBetweenRuns: p.limits.min_seconds_between_runs, maxTargets: p.limits.max_targets },
    mode: p.mode,
  }));
  const seen = new Map<string, number>();
  policies.forEach((p, i) => {
    if (seen.has(p.name))
      throw new PolicyFileError(
        file,
        lineOf(doc, lc, ["policies", i, "name"]),
        `policy name "${p.name}" is used twice (first by policy ${seen.get(p.name)! + 1})`,
      );
    seen.set(p.name, i);
  });
  // Two live policies on one action and one check would race each other's cooldown: refuse.
  const live = new Map<string, number>();
  policies.forEach((p, i) => {
    if (p.mode === "off") return;
    const k = `${p.check}|${p.action}`;
    if (live.has(k)) {
      throw new PolicyFileError(
        file,
        lineOf(doc, lc, ["policies", i]),
        `policies "${policies[live.get(k)!]!.name}" and "${p.name}" both run ${p.action} on ${p.check}; keep one (or set one to mode: off)`,
      );
    }
    live.set(k, i);
  });
  return policies;
}

/** "policy 2 (reset-circuit).limits.max_targets" */
function describe(path: PropertyKey[], raw: unknown): string {
  if (path[0] !== "policies" || typeof path[1] !== "number") return path.join(".");
  const item = (raw as { policies?: unknown[] }).policies?.[path[1]];
  const name = item && typeof item === "object" && typeof (item as { name?: unknown }).name === "string" ? ` (${(item as { name: string }).name})` : "";
  const rest = path.slice(2).join(".");
  return `policy ${path[1] + 1}${name}${rest ? `.${rest}` : ""}`;
}

/** Validate each policy's params against its action's own schema (done by the loader, which knows the actions). */
export function checkParams(policies: Policy[], text: string, file: string, validate: (p: Policy) => string | null): void {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  policies.forEach((p, i) => {
    const problem = validate(p);
    if (problem) throw new PolicyFileError(file, lineOf(doc, lc, ["policies", i, "params"]), `policy ${i + 1} (${p.name}).params: ${problem}`);
  });
}
