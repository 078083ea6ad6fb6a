/**
 * The team's Markdown runbook (runbook/recovery-runbook.md, or the file RUNBOOK_FILE names) read
 * into the typed runbook the console follows. The file is parsed to a syntax tree (mdast, by
 * remark-parse) and walked by section; no regular expressions run over the whole text. Every
 * problem names the source line, so the banner can say where to fix the file.
 *
 * Sections (level-2 headings): Emergency Contacts; Common Failure Scenarios, one level-3 heading
 * "N. Title" per scenario with **Symptoms**, **Recovery Steps** (an ordered list), **Prevention**
 * and **Rollback Plan**; Monitoring Queries; Escalation Procedure; Post-Incident; and the closing
 * **Last Updated** / **Owner** lines. Any other section, or any other labelled paragraph in a
 * scenario, is kept as unknown and shown, not dropped.
 *
 * Steps: an inline code right after a colon ("Check logs: `tail -f …`") or a code block in the
 * item is the step's command. Three commands are the console's guarded actions and become their
 * button: the circuit-reset `curl` (circuit.reset), the `pg_terminate_backend` SQL
 * (sessions.terminate_idle), and marking pending directives 'cancelled' or updating their status
 * (directives.cancel_stale). A scenario's checks are inferred from its title, symptoms and steps.
 * An HTML comment binds explicitly, and wins over the inference:
 *   `<!-- console: action=circuit.reset -->` in a step (or `action=none`),
 *   `<!-- console: checks=signals_recent,ea_heartbeat contacts=oncall,dba -->` in a scenario.
 *
 * Pure: no server or file imports; the loader (lib/recovery/runbook/source.ts) reads the file.
 */
import type { Heading, List, ListItem, Nodes, Root, RootContent } from "mdast";
import remarkParse from "remark-parse";
import { unified } from "unified";
import type { ActionName } from "../actions/types.ts";
import type { CheckId } from "../health/checks/index.ts";
import type { ContactKey, RunbookConfig, RunbookStep, Scenario } from "./model.ts";

export type RunbookProblem = { line: number; message: string };

export type RunbookContactLine = { key: ContactKey | null; role: string; value: string; placeholder: boolean };
export type EscalationLevel = { level: 1 | 2 | 3; fromMinutes: number; toMinutes: number | null; text: string };
export type UnknownSection = { title: string; text: string; line: number };

export type Runbook = {
  title: string;
  overview: string | null;
  contacts: RunbookContactLine[];
  scenarios: Scenario[];
  monitoringQueries: { title: string; sql: string }[];
  escalation: EscalationLevel[];
  postIncident: string[];
  lastUpdated: string | null;
  owner: string | null;
  unknownSections: UnknownSection[];
};

export type ParseResult = { ok: true; runbook: Runbook } | { ok: false; problems: RunbookProblem[] };

/** The guarded actions a step may bind, with the panel (check) each sits on. */
export const ACTION_CHECK: Partial<Record<ActionName, string>> = {
  "circuit.reset": "circuit_breaker",
  "directives.cancel_stale": "directives_stale_pending",
  "sessions.terminate_idle": "idle_transactions",
  "queries.cancel_long": "db_connections",
};

const CONTACT_ROLES: Record<string, ContactKey> = {
  "on-call engineer": "oncall",
  "database admin": "dba",
  "broker support": "broker",
};
const CONTACT_KEYS: ContactKey[] = ["oncall", "dba", "broker"];

// ── Text of a node ──────────────────────────────────────────────────────────────────────────

function text(node: Nodes): string {
  if (node.type === "text" || node.type === "inlineCode") return node.value;
  if (node.type === "break") return " ";
  if (node.type === "html") return "";
  if ("children" in node) return (node.children as Nodes[]).map(text).join("");
  return "";
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();
const lineOf = (n: { position?: { start: { line: number } } }) => n.position?.start.line ?? 0;
const isPlaceholder = (v: string) => v.startsWith("[") && v.endsWith("]");

/** A paragraph that starts with a bold label: "**Symptoms**: …" → { label: "symptoms", rest: "…" }. */
function labelled(node: RootContent): { label: string; rest: string } | null {
  if (node.type !== "paragraph") return null;
  const [first, ...others] = node.children;
  if (!first || first.type !== "strong") return null;
  const label = squash(text(first)).replace(/:$/, "").toLowerCase();
  const rest = squash(others.map(text).join("")).replace(/^:\s*/, "");
  return { label, rest };
}

/** `<!-- console: k=v k2=v2 -->` → { k: "v", k2: "v2" }, or null when the comment is not the console's. */
function annotation(value: string, line: number, problems: RunbookProblem[]): Record<string, string> | null {
  const inner = value.trim().replace(/^<!--/, "").replace(/-->$/, "").trim();
  if (!inner.toLowerCase().startsWith("console:")) return null;
  const out: Record<string, string> = {};
  for (const pair of inner.slice("console:".length).trim().split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      problems.push({ line, message: `console annotation "${pair}" is not key=value` });
      continue;
    }
    out[pair.slice(0, eq).toLowerCase()] = pair.slice(eq + 1);
  }
  return out;
}

function annotationsIn(node: Nodes, problems: RunbookProblem[]): { values: Record<string, string>; line: number }[] {
  const found: { values: Record<string, string>; line: number }[] = [];
  const visit = (n: Nodes) => {
    if (n.type === "html") {
      const values = annotation(n.value, lineOf(n), problems);
      if (values) found.push({ values, line: lineOf(n) });
    }
    if ("children" in n) (n.children as Nodes[]).forEach(visit);
  };
  visit(node);
  return found;
}

// ── Commands and their configuration ────────────────────────────────────────────────────────

const fillTradeDirector = (c: RunbookConfig, cmd: string) =>
  c.tradeDirectorUrl ? cmd.split("http://trade-director").join(c.tradeDirectorUrl.replace(/\/+$/, "")) : cmd;

/** `psql -h [host] -U [user] -d distortsignals …` with the configured trading database (never its user). */
function fillPsql(c: RunbookConfig, cmd: string): string {
  const d = c.tradingDb;
  if (!d || !cmd.startsWith("psql ")) return cmd;
  return cmd.replace("-h [host]", `-h ${d.host} -p ${d.port}`).replace("-d distortsignals", `-d ${d.database}`);
}

function psqlCommand(c: RunbookConfig, sql: string): string {
  const d = c.tradingDb;
  const conn = d ? `-h ${d.host} -p ${d.port} -U [user] -d ${d.database}` : "-h [host] -U [user] -d distortsignals";
  return `psql ${conn} -c "${squash(sql).replace(/"/g, '\\"')}"`;
}

/** The guarded action a step's command or words stand for (runbook scenarios 2 and 3), if any. */
export function inferAction(command: string | null, words: string): ActionName | null {
  const cmd = (command ?? "").toLowerCase();
  const w = words.toLowerCase();
  if (cmd.includes("curl") && cmd.includes("/admin/reset-circuit")) return "circuit.reset";
  if (cmd.includes("pg_terminate_backend")) return "sessions.terminate_idle";
  if (/mark (stale )?pending directives as '?cancelled'?/.test(w) || w.includes("update directive status")) return "directives.cancel_stale";
  return null;
}

/** Checks a scenario's own words point to (the five shipped scenarios; an annotation overrides). */
const CHECK_RULES: { id: string; where: "head" | "all"; phrases: string[] }[] = [
  { id: "signals_recent", where: "head", phrases: ["signal_outbox"] },
  { id: "directives_stale_pending", where: "head", phrases: ["trade_directives"] },
  { id: "circuit_breaker", where: "all", phrases: ["circuit breaker", "reset-circuit"] },
  { id: "db_connections", where: "head", phrases: ["connection pool", "connection timeout"] },
  { id: "idle_transactions", where: "all", phrases: ["pg_terminate_backend", "idle in transaction"] },
  { id: "worker_rate_limit", where: "head", phrases: ["429", "rate limit"] },
  { id: "ea_heartbeat", where: "head", phrases: ["ea disconnected", "ea heartbeat"] },
  { id: "executions_failed", where: "head", phrases: ["execution confirmations", "failed executions"] },
];

// ── Steps ───────────────────────────────────────────────────────────────────────────────────

function parseStep(item: ListItem, ctx: { knownActions: Set<string>; problems: RunbookProblem[] }): RunbookStep {
  const para = item.children.find((c) => c.type === "paragraph");
  const block = item.children.find((c) => c.type === "code");
  const inline = para?.children ?? [];
  // The command: an inline code right after a colon, else a code block in the item.
  let command: string | null = null;
  let before = "";
  let after = "";
  let seenCommand = false;
  for (const n of inline) {
    if (!seenCommand && n.type === "inlineCode" && before.trimEnd().endsWith(":")) {
      command = n.value;
      seenCommand = true;
      continue;
    }
    (seenCommand ? (s: string) => (after += s) : (s: string) => (before += s))(text(n));
  }
  before = squash(before).replace(/:$/, "");
  after = squash(after);
  let words = after ? `${before} (${after})` : before;
  let sql: string | null = null;
  if (!command && block) sql = block.value;
  if (!words) words = squash(text(item));
  const line = lineOf(item);

  let action: ActionName | null = inferAction(command ?? sql, squash(text(item)));
  for (const a of annotationsIn(item, ctx.problems)) {
    for (const [k, v] of Object.entries(a.values)) {
      if (k !== "action") ctx.problems.push({ line: a.line, message: `unknown console annotation "${k}" on a step (use action=…)` });
      else if (v === "none") action = null;
      else if (!ctx.knownActions.has(v))
        ctx.problems.push({ line: a.line, message: `unknown console action "${v}" (known: ${[...ctx.knownActions].join(", ")})` });
      else action = v as ActionName;
    }
  }
  const cmd = command;
  const q = sql;
  const filled =
    cmd !== null
      ? { command: (c: RunbookConfig) => fillPsql(c, fillTradeDirector(c, cmd)), source: cmd }
      : q !== null
        ? { command: (c: RunbookConfig) => psqlCommand(c, q), source: q }
        : null;
  // An action keeps the file's command: shown to those who may not run the action from the console.
  if (action) return { kind: "action", text: words, action, checkId: ACTION_CHECK[action] ?? "", ...(filled ?? {}), line };
  if (filled) return { kind: "command", text: words, ...filled, line };
  return { kind: "manual", text: words, line };
}

// ── Sections ────────────────────────────────────────────────────────────────────────────────

type Section = { heading: Heading; title: string; body: RootContent[] };

function split(nodes: RootContent[], depth: number): { before: RootContent[]; sections: Section[] } {
  const before: RootContent[] = [];
  const sections: Section[] = [];
  for (const n of nodes) {
    if (n.type === "heading" && n.depth <= depth) {
      if (n.depth === depth) {
        sections.push({ heading: n, title: squash(text(n)), body: [] });
        continue;
      }
    }
    (sections.at(-1)?.body ?? before).push(n);
  }
  return { before, sections };
}

function parseScenario(
  s: Section,
  ctx: { knownActions: Set<string>; knownChecks: Set<string> | null; problems: RunbookProblem[] },
  seen: Set<number>,
): Scenario | null {
  const line = lineOf(s.heading);
  const m = /^(\d+)\.\s+(.+)$/.exec(s.title);
  if (!m) {
    ctx.problems.push({ line, message: `scenario heading "${s.title}" must be "N. Title"` });
    return null;
  }
  const number = Number(m[1]);
  const title = m[2]!.trim();
  if (seen.has(number)) ctx.problems.push({ line, message: `scenario number ${number} is used twice` });
  seen.add(number);
  let symptoms: string | null = null;
  let prevention: string | undefined;
  let rollback: string | undefined;
  let steps: RunbookStep[] | null = null;
  let expectSteps = false;
  const extra: { label: string; text: string }[] = [];
  let checkBinding: string[] | null = null;
  let contactBinding: ContactKey[] | null = null;
  for (const n of s.body) {
    const l = labelled(n);
    if (l) {
      expectSteps = false;
      if (l.label === "symptoms") symptoms = l.rest;
      else if (l.label === "prevention") prevention = l.rest;
      else if (l.label === "rollback plan" || l.label === "rollback") rollback = l.rest;
      else if (l.label === "recovery steps") expectSteps = true;
      else extra.push({ label: squash(text((n as { children: Nodes[] }).children[0]!)).replace(/:$/, ""), text: l.rest });
      continue;
    }
    if (n.type === "list" && expectSteps) {
      if (!(n as List).ordered) ctx.problems.push({ line: lineOf(n), message: `the recovery steps of scenario ${number} must be a numbered list` });
      steps = (n as List).children.map((item) => parseStep(item, ctx));
      expectSteps = false;
      continue;
    }
    if (n.type === "html") {
      for (const a of annotationsIn(n, ctx.problems)) {
        for (const [k, v] of Object.entries(a.values)) {
          const list =
            v === "none"
              ? []
              : v
                  .split(",")
                  .map((x) => x.trim())
                  .filter(Boolean);
          if (k === "checks") {
            const unknown = ctx.knownChecks ? list.filter((id) => !ctx.knownChecks!.has(id)) : [];
            if (unknown.length)
              ctx.problems.push({
                line: a.line,
                message: `unknown check id ${unknown.map((u) => `"${u}"`).join(", ")} (known: ${[...ctx.knownChecks!].join(", ")})`,
              });
            else checkBinding = list;
          } else if (k === "contacts") {
            const unknown = list.filter((c) => !CONTACT_KEYS.includes(c as ContactKey));
            if (unknown.length)
              ctx.problems.push({ line: a.line, message: `unknown contact ${unknown.map((u) => `"${u}"`).join(", ")} (known: ${CONTACT_KEYS.join(", ")})` });
            else contactBinding = list as ContactKey[];
          } else ctx.problems.push({ line: a.line, message: `unknown console annotation "${k}" on a scenario (use checks=… or contacts=…)` });
        }
      }
      continue;
    }
    const t = squash(text(n as Nodes));
    if (t) extra.push({ label: "", text: t });
  }
  if (symptoms === null) ctx.problems.push({ line, message: `scenario ${number} (${title}) has no **Symptoms** line` });
  if (steps === null) ctx.problems.push({ line, message: `scenario ${number} (${title}) has no **Recovery Steps** numbered list` });
  else if (!steps.length) ctx.problems.push({ line, message: `scenario ${number} (${title}) has no recovery steps` });
  const head = `${title} ${symptoms ?? ""}`.toLowerCase();
  const all = `${head} ${(steps ?? []).map((st) => `${st.text} ${st.kind !== "manual" ? (st.source ?? "") : ""}`).join(" ")}`.toLowerCase();
  // A check is the scenario's when its words name the symptom, or when one of its steps is that check's action.
  const actionChecks = new Set((steps ?? []).flatMap((st) => (st.kind === "action" ? [st.checkId] : [])));
  const inferredChecks = CHECK_RULES.filter((r) => actionChecks.has(r.id) || r.phrases.some((p) => (r.where === "head" ? head : all).includes(p))).map(
    (r) => r.id,
  );
  const inferredContacts: ContactKey[] = ["oncall"];
  if (head.includes("database")) inferredContacts.push("dba");
  if (all.includes("broker")) inferredContacts.push("broker");
  return {
    number,
    slug: title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, ""),
    title,
    symptoms: symptoms ?? "",
    // Ids are checked against the known checks (ctx.knownChecks) where the registry is at hand.
    checkIds: (checkBinding ?? (ctx.knownChecks ? inferredChecks.filter((id) => ctx.knownChecks!.has(id)) : inferredChecks)) as CheckId[],
    steps: steps ?? [],
    ...(prevention !== undefined ? { prevention } : {}),
    ...(rollback !== undefined ? { rollback, rollbackAction: inferAction(null, rollback) ?? undefined } : {}),
    contacts: contactBinding ?? inferredContacts,
    ...(extra.length ? { extra } : {}),
    line,
  };
}

function parseEscalation(body: RootContent[], problems: RunbookProblem[]): EscalationLevel[] {
  const list = body.find((n): n is List => n.type === "list");
  if (!list) {
    problems.push({ line: lineOf(body[0] ?? { position: undefined }), message: "the Escalation Procedure has no list of levels" });
    return [];
  }
  const levels: EscalationLevel[] = [];
  for (const item of list.children) {
    const t = squash(text(item));
    // "Level 2 (15-30 min): Engage on-call engineer"; "Level 3 (30+ min): …"
    const m = /^Level\s+([123])\s*\((\d+)\s*(?:[-–]\s*(\d+)|\+)\s*min\)\s*:?\s*(.*)$/i.exec(t);
    if (!m) {
      problems.push({ line: lineOf(item), message: `escalation level "${t}" must read "Level N (A-B min): what to do" or "Level N (A+ min): …"` });
      continue;
    }
    levels.push({ level: Number(m[1]) as 1 | 2 | 3, fromMinutes: Number(m[2]), toMinutes: m[3] ? Number(m[3]) : null, text: m[4]! });
  }
  const l2 = levels.find((l) => l.level === 2);
  const l3 = levels.find((l) => l.level === 3);
  if (l2 && l3 && l3.fromMinutes <= l2.fromMinutes) problems.push({ line: lineOf(list), message: "escalation level 3 must start after level 2" });
  return levels;
}

export type ParseOptions = {
  /** Check ids the console knows (lib/recovery/health/checks); a binding to another id is an error. */
  knownCheckIds?: readonly string[];
  /** Action names the console knows; defaults to those in ACTION_CHECK. */
  knownActions?: readonly string[];
};

export function parseRunbook(markdown: string, opts: ParseOptions = {}): ParseResult {
  const problems: RunbookProblem[] = [];
  const ctx = {
    knownActions: new Set<string>(opts.knownActions ?? Object.keys(ACTION_CHECK)),
    knownChecks: opts.knownCheckIds ? new Set(opts.knownCheckIds) : null,
    problems,
  };
  const tree = unified().use(remarkParse).parse(markdown) as Root;
  const h1 = tree.children.find((n): n is Heading => n.type === "heading" && n.depth === 1);
  if (!h1) return { ok: false, problems: [{ line: 1, message: "the runbook has no title (a level-1 heading)" }] };
  const { sections } = split(tree.children, 2);

  const runbook: Runbook = {
    title: squash(text(h1)),
    overview: null,
    contacts: [],
    scenarios: [],
    monitoringQueries: [],
    escalation: [],
    postIncident: [],
    lastUpdated: null,
    owner: null,
    unknownSections: [],
  };
  const trailer = (nodes: RootContent[]): RootContent[] =>
    nodes.filter((n) => {
      const l = labelled(n);
      if (n.type !== "paragraph" || !l) return true;
      // "**Last Updated**: 2026-01-03  \n**Owner**: SRE Team" is one paragraph with two labels.
      let label: string | null = null;
      let found = false;
      for (const c of n.children) {
        if (c.type === "strong") label = squash(text(c)).replace(/:$/, "").toLowerCase();
        else if (label) {
          const v = squash(text(c)).replace(/^:\s*/, "");
          if (!v) continue;
          if (label === "last updated") {
            runbook.lastUpdated = v;
            found = true;
          } else if (label === "owner") {
            runbook.owner = v;
            found = true;
          }
          label = null;
        }
      }
      return !found;
    });
  let sawScenarios = false;
  for (const s of sections) {
    const key = s.title.toLowerCase();
    const body = trailer(s.body).filter((n) => n.type !== "thematicBreak");
    if (key === "overview") runbook.overview = squash(body.map((n) => text(n as Nodes)).join("\n\n")) || null;
    else if (key === "emergency contacts") {
      const list = body.find((n): n is List => n.type === "list");
      for (const item of list?.children ?? []) {
        const para = item.children.find((c) => c.type === "paragraph");
        const strong = para?.children.find((c) => c.type === "strong");
        if (!para || !strong) {
          problems.push({ line: lineOf(item), message: 'a contact must read "**Role**: contact"' });
          continue;
        }
        const role = squash(text(strong)).replace(/:$/, "");
        const value = squash(
          para.children
            .filter((c) => c !== strong)
            .map(text)
            .join(""),
        ).replace(/^:\s*/, "");
        runbook.contacts.push({ key: CONTACT_ROLES[role.toLowerCase()] ?? null, role, value, placeholder: !value || isPlaceholder(value) });
      }
    } else if (key === "common failure scenarios") {
      sawScenarios = true;
      const seen = new Set<number>();
      for (const sc of split(body, 3).sections) {
        const parsed = parseScenario(sc, ctx, seen);
        if (parsed) runbook.scenarios.push(parsed);
      }
    } else if (key === "monitoring queries") {
      const { before: loose, sections: subs } = split(body, 3);
      const blocks = [...loose.map((n) => ({ title: "Monitoring", n })), ...subs.flatMap((q) => q.body.map((n) => ({ title: q.title, n })))];
      for (const { title, n } of blocks) if (n.type === "code") runbook.monitoringQueries.push({ title, sql: n.value });
    } else if (key === "escalation procedure") runbook.escalation = parseEscalation(body, problems);
    else if (key === "post-incident") {
      const list = body.find((n): n is List => n.type === "list");
      runbook.postIncident = (list?.children ?? []).map((i) => squash(text(i)));
    } else {
      const t = body
        .map((n) => (n.type === "code" ? n.value : squash(text(n as Nodes))))
        .filter(Boolean)
        .join("\n\n");
      if (t) runbook.unknownSections.push({ title: s.title, text: t, line: lineOf(s.heading) });
    }
  }
  if (!sawScenarios) problems.push({ line: lineOf(h1), message: 'the runbook has no "## Common Failure Scenarios" section' });
  else if (!runbook.scenarios.length && !problems.length) problems.push({ line: lineOf(h1), message: "the runbook has no scenario (### N. Title)" });
  if (problems.length) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  return { ok: true, runbook };
}
