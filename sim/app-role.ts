/**
 * The simulated trading services connect as an ordinary role, as the real ones do, not as the
 * superuser that owns the demo database. That matters: the console never terminates superuser
 * backends, so sessions left idle in transaction by a superuser could not be cleared from it.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";

export const APP_ROLE = "distortsignals_app";

/** Create (or reuse) the app role and return a URL connecting as it; the admin URL if we may not. */
export async function ensureAppRole(adminUrl: string, dataDir: string, log: (s: string) => void): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [{ su }] = await sql<[{ su: boolean }]>`select rolsuper as su from pg_roles where rolname = current_user`;
    if (!su) {
      log(`the trading DB user is not a superuser; the simulator uses it as it is`);
      return adminUrl;
    }
    const file = path.join(dataDir, "app-role-password");
    let password: string;
    try {
      password = fs.readFileSync(file, "utf8").trim();
    } catch {
      password = randomBytes(18).toString("base64url");
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
    }
    const exists = (await sql`select 1 from pg_roles where rolname = ${APP_ROLE}`).length > 0;
    // Identifiers and the password literal come from us, not from input.
    await sql.unsafe(`${exists ? "alter" : "create"} role ${APP_ROLE} login password '${password}'`);
    await sql.unsafe(`grant select, insert, update on signal_outbox, trade_directives, execution_events to ${APP_ROLE}`);
    await sql.unsafe(`grant usage, select on all sequences in schema public to ${APP_ROLE}`);
    const u = new URL(adminUrl);
    u.username = APP_ROLE;
    u.password = password;
    return u.toString();
  } finally {
    await sql.end({ timeout: 2 });
  }
}
