import type { Metadata } from "next";

export const metadata: Metadata = { title: "Reference page" };

/**
 * A page with static content and no data, for `npm run bench` (ttfb_ratio) to compare the
 * dashboard with: same root layout, same proxy, same per-request render. Rendered per request on
 * purpose: every HTML page of the console carries a per-request CSP nonce, which Next can only put
 * on its scripts when it renders the page for that request (Next.js guide "Content Security
 * Policy"), so a prerendered page would not be a page this console could serve. Public; it says
 * nothing about the trading system.
 */
export const dynamic = "force-dynamic";

export default function ReferencePage() {
  return (
    <main className="mx-auto max-w-xl p-8">
      <h1 className="text-xl font-semibold">Recovery Console</h1>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
        A reference page with static content, used to measure the console&apos;s own serving speed. Sign in for the dashboard.
      </p>
    </main>
  );
}
