/**
 * The guarded actions, timed through their whole code path: an on-call's browser request to the
 * server action (app/actions/recovery.ts), the wrapper (lib/recovery/actions/pipeline.ts: session,
 * permission, preview token, confirmation, idempotency, lock, cooldown, audit intent, effect, audit
 * outcome, re-check of the panel), over HTTP against the running console.
 */
import type postgres from "postgres";
import { confirmRequest, preview, type ActionClient, type ActionState } from "../../tests/support/harness/console.ts";
import { openIdleSessions } from "../../tests/support/harness/sessions.ts";
import { round, waitFor } from "../lib/stats.ts";

/** Everything pending is processed, so the stale set is exactly what a measure inserts. */
export async function settleDirectives(writer: postgres.Sql): Promise<void> {
  await writer`update trade_directives set status = 'executed', updated_at = now() where status = 'pending'`;
}

/** Cancel `count` previewed stale directives; the figure is the confirm request, end to end. */
export async function measureCancel(o: { client: ActionClient; cookie: () => Promise<string>; writer: postgres.Sql; count: number }) {
  await settleDirectives(o.writer);
  const ids = await o.writer<{ id: string }[]>`
    insert into trade_directives (symbol, side, status, created_at)
    select (array['EURUSD','GBPUSD','USDJPY','XAUUSD','BTCUSD'])[1 + g % 5], 'buy', 'pending', now() - interval '1 hour' - make_interval(secs => g / 10.0)
    from generate_series(1, ${o.count}) g
    returning id::text as id`;
  const cookie = await o.cookie();
  const p = await preview(o.client, "CancelStaleDirectives", cookie);
  if (p.count !== o.count) throw new Error(`the preview showed ${p.count} stale directives, expected ${o.count}`);
  const answer = await o.client.send<ActionState>(await confirmRequest(o.client, "CancelStaleDirectives", p, cookie), { timeoutMs: 60_000 });
  const state = answer.value;
  if (!state?.ok || state.result?.run?.outcome !== "succeeded") throw new Error(`cancel failed: ${state?.message ?? answer.text.slice(0, 300)}`);
  const [{ n }] = await o.writer<
    [{ n: number }]
  >`select count(*)::int as n from trade_directives where id = any(${ids.map((r) => r.id)}::bigint[]) and status = 'cancelled'`;
  if (n !== o.count) throw new Error(`only ${n} of ${o.count} directives are cancelled`);
  return { ms: Math.round(answer.ms), serverMs: state.result?.run?.durationMs ?? null, previewMs: Math.round(p.ms), cancelled: n };
}

/**
 * Terminate `count` real sessions idle in transaction, held by an ordinary role (superuser backends
 * are never terminated, by design). They must be idle longer than the console's IDLE_TX_SECONDS.
 */
export async function measureTerminate(o: {
  client: ActionClient;
  cookie: () => Promise<string>;
  appUrl: string;
  watcher: postgres.Sql;
  count: number;
  idleSeconds: number;
}) {
  const sessions = await openIdleSessions(o.appUrl, o.count, "bench-leaky-app");
  try {
    await waitFor(
      async () => {
        const [{ n }] = await o.watcher<[{ n: number }]>`
          select count(*)::int as n from pg_stat_activity
          where pid = any(${sessions.pids}::int[]) and state = 'idle in transaction' and state_change < now() - make_interval(secs => ${o.idleSeconds + 0.2})`;
        return n === o.count;
      },
      { timeoutMs: (o.idleSeconds + 10) * 1000, what: `${o.count} sessions idle in transaction for ${o.idleSeconds} s` },
    );
    const cookie = await o.cookie();
    const p = await preview(o.client, "KillIdleTransactions", cookie);
    if (p.count !== o.count) throw new Error(`the preview showed ${p.count} idle sessions, expected ${o.count}`);
    const answer = await o.client.send<ActionState>(await confirmRequest(o.client, "KillIdleTransactions", p, cookie), { timeoutMs: 60_000 });
    const state = answer.value;
    if (!state?.ok || state.result?.run?.outcome !== "succeeded") throw new Error(`terminate failed: ${state?.message ?? answer.text.slice(0, 300)}`);
    const terminated = (state.result.run?.perTarget ?? []).filter((t) => t.outcome === "terminated").length;
    await waitFor(async () => (await o.watcher`select 1 from pg_stat_activity where pid = any(${sessions.pids}::int[])`).length === 0, {
      timeoutMs: 5000,
      what: "the terminated sessions to leave pg_stat_activity",
    });
    return {
      ms: Math.round(answer.ms),
      serverMs: state.result?.run?.durationMs ?? null,
      previewMs: Math.round(p.ms),
      terminated,
      perSessionMs: round(answer.ms / o.count, 2),
    };
  } finally {
    await sessions.close();
  }
}
