/**
 * The console refuses to start in production with demo credentials. "Demo credentials" means,
 * among enabled users of the console store:
 *   - any account on the demo's domain (@demo.local: `npm run demo` seeds one per role), or
 *   - any account whose password is DEMO_PASSWORD, when that variable is set.
 * `npm run demo` runs in production mode too; it sets DEMO_MODE=1, which lifts this check.
 *
 * Runs at server start (lib/server-start.ts, from instrumentation), before Next's bundles and
 * their server-only modules, so it uses its own short-lived connection.
 */
import postgres from "postgres";
import { verifyPassword } from "./password.ts";

export const DEMO_DOMAIN = "@demo.local";

type UserRow = { email: string; passwordHash: string | null };

/** Pure apart from the password check: the problems to report, one line each. */
export async function demoCredentialProblems(users: UserRow[], demoPassword: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  for (const u of users) {
    if (u.email.endsWith(DEMO_DOMAIN)) {
      problems.push(`the demo account ${u.email} is enabled (disable it: npm run user -- disable ${u.email})`);
    } else if (demoPassword && u.passwordHash && (await verifyPassword(u.passwordHash, demoPassword))) {
      problems.push(`${u.email} signs in with DEMO_PASSWORD (reset it: npm run user -- reset-password ${u.email})`);
    }
  }
  return problems;
}

/** Read the enabled users of the console store at `url` and report demo credentials. */
export async function findDemoCredentials(opts: { url: string; demoPassword?: string }): Promise<string[]> {
  const sql = postgres(opts.url, {
    max: 1,
    connect_timeout: 5,
    idle_timeout: 1,
    onnotice: () => {},
    connection: { application_name: "recovery-console-startup" },
  });
  try {
    const rows = await sql<UserRow[]>`
      select email, password_hash as "passwordHash" from console.users where disabled_at is null order by email limit 1000`;
    return await demoCredentialProblems(rows, opts.demoPassword);
  } finally {
    await sql.end({ timeout: 2 });
  }
}
