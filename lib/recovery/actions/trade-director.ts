import "server-only";
/**
 * Client for the trade director's admin API (the contract in docs/http-api.md):
 *   GET  {TRADE_DIRECTOR_URL}/admin/circuit        -> {"state":"closed"|"open"|"half-open", ...}
 *   POST {TRADE_DIRECTOR_URL}/admin/reset-circuit  -> closes the breaker (runbook scenario 2, step 3)
 * Every call has a deadline; nothing here retries on its own.
 */
import { z } from "zod";
import { env } from "../../env.ts";
import { tracedFetch } from "../../trace.ts";

export const circuitSchema = z.looseObject({ state: z.enum(["closed", "open", "half-open"]) });
export type Circuit = z.infer<typeof circuitSchema>;

export class TradeDirectorError extends Error {
  constructor(
    public readonly code: "td.not_configured" | "td.timeout" | "td.unreachable" | "td.http" | "td.bad_response",
    message: string,
    public readonly status?: number,
    /** For td.unreachable: the system's error code (ECONNREFUSED, ECONNRESET, …). */
    public readonly cause?: string,
  ) {
    super(message);
    this.name = "TradeDirectorError";
  }
}

function base(): string {
  const url = env().TRADE_DIRECTOR_URL;
  if (!url) throw new TradeDirectorError("td.not_configured", "TRADE_DIRECTOR_URL is not set");
  return url.replace(/\/+$/, "");
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = env().TRADE_DIRECTOR_TOKEN;
  return { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

async function call(path: string, init: RequestInit & { timeoutMs: number; signal?: AbortSignal }): Promise<unknown> {
  const signals = [AbortSignal.timeout(init.timeoutMs), ...(init.signal ? [init.signal] : [])];
  let res: Response;
  try {
    res = await tracedFetch("trade-director", `${base()}${path}`, { ...init, signal: AbortSignal.any(signals), cache: "no-store" }, path);
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "TimeoutError" || name === "AbortError") throw new TradeDirectorError("td.timeout", `no answer within ${init.timeoutMs} ms`);
    const code = (err as { cause?: { code?: string } }).cause?.code;
    throw new TradeDirectorError("td.unreachable", `cannot reach the trade director: ${code ?? (err as Error).message}`, undefined, code);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw new TradeDirectorError("td.http", `the trade director answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, res.status);
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    throw new TradeDirectorError("td.bad_response", "the trade director's answer is not JSON");
  }
}

export async function getCircuit(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Circuit> {
  const body = await call("/admin/circuit", {
    method: "GET",
    headers: headers(),
    timeoutMs: opts.timeoutMs ?? env().TRADE_DIRECTOR_TIMEOUT_MS,
    signal: opts.signal,
  });
  const parsed = circuitSchema.safeParse(body);
  if (!parsed.success) throw new TradeDirectorError("td.bad_response", "the trade director's circuit state is not one of closed, open, half-open");
  return parsed.data;
}

export async function postResetCircuit(opts: { requestId: string; idempotencyKey: string; timeoutMs?: number }): Promise<unknown> {
  return call("/admin/reset-circuit", {
    method: "POST",
    headers: headers({ "X-Request-Id": opts.requestId, "Idempotency-Key": opts.idempotencyKey, "Content-Type": "application/json" }),
    body: "{}",
    timeoutMs: opts.timeoutMs ?? env().TRADE_DIRECTOR_TIMEOUT_MS,
  });
}
