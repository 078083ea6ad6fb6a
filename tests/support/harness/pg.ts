/**
 * The PostgreSQL server the bench measures against: BENCH_DATABASE_URL (a superuser URL: the bench
 * creates databases and roles), or the embedded server with its data kept in a named folder
 * (`.data/bench/pg` by default, BENCH_DATA_DIR to move it) so a 10M-row seed is made once and
 * reused by later runs.
 */
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedPg } from "../../../lib/db/embedded.ts";
import { freePort } from "../../../scripts/lib/stack.ts";

export type Sql = postgres.Sql;

export type BenchServer = {
  adminUrl: string;
  /** Major version, e.g. 18. */
  major: number;
  versionText: string;
  embedded: boolean;
  url(database: string, as?: { user: string; password: string }): string;
  /** A short-lived admin connection (closed by the caller). */
  admin(database?: string): Sql;
  stop(): Promise<void>;
};

export function connect(url: string, opts: postgres.Options<Record<string, postgres.PostgresType>> = {}): Sql {
  return postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10, ...opts });
}

export function withDatabase(url: string, database: string, as?: { user: string; password: string }): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (as) {
    u.username = as.user;
    u.password = as.password;
  }
  return u.toString();
}

export async function startBenchServer(opts: { dataDir: string; log: (line: string) => void }): Promise<BenchServer> {
  let embedded: EmbeddedPg | null = null;
  let adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(opts.dataDir, "pg"),
      port: await freePort(),
      databases: [],
      log: opts.log,
      settings: {
        // 50 idle-in-transaction sessions, the console's pools and the bench's own connections.
        max_connections: 200,
        // Seeding writes a few GB once: fewer forced checkpoints on the way.
        max_wal_size: "4GB",
      },
    });
    adminUrl = embedded.url("postgres");
  }
  const sql = connect(adminUrl);
  let major: number;
  let versionText: string;
  try {
    const [row] = await sql<{ v: number; text: string; su: boolean }[]>`
      select current_setting('server_version_num')::int / 10000 as v, version() as text,
             (select rolsuper from pg_roles where rolname = current_user) as su`;
    if (!row?.su) throw new Error("BENCH_DATABASE_URL must connect as a superuser: the bench creates databases and roles");
    major = row.v;
    versionText = row.text.split(" on ")[0]!;
  } finally {
    await sql.end({ timeout: 2 });
  }
  const base = adminUrl;
  return {
    adminUrl: base,
    major,
    versionText,
    embedded: embedded !== null,
    url: (database, as) => withDatabase(base, database, as),
    admin: (database = new URL(base).pathname.slice(1) || "postgres") => connect(withDatabase(base, database)),
    stop: async () => {
      await embedded?.stop();
    },
  };
}

/** Quote an identifier we made ourselves (bench database and role names). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected identifier ${name}`);
  return `"${name}"`;
}

export async function dropDatabase(server: BenchServer, name: string): Promise<void> {
  const sql = server.admin();
  try {
    await sql.unsafe(`drop database if exists ${ident(name)} with (force)`);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export async function createDatabase(server: BenchServer, name: string, opts: { template?: string; comment?: string } = {}): Promise<void> {
  const sql = server.admin();
  try {
    await sql.unsafe(`drop database if exists ${ident(name)} with (force)`);
    await sql.unsafe(`create database ${ident(name)}${opts.template ? ` template ${ident(opts.template)}` : ""}`);
    if (opts.comment) await sql.unsafe(`comment on database ${ident(name)} is '${opts.comment.replace(/'/g, "''")}'`);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The comment on a database (the bench's seed marker), or null when the database does not exist. */
export async function databaseComment(server: BenchServer, name: string): Promise<string | null | undefined> {
  const sql = server.admin();
  try {
    const [row] = await sql<{ c: string | null }[]>`select shobj_description(oid, 'pg_database') as c from pg_database where datname = ${name}`;
    return row ? row.c : undefined;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export async function setDatabaseComment(server: BenchServer, name: string, comment: string): Promise<void> {
  const sql = server.admin();
  try {
    await sql.unsafe(`comment on database ${ident(name)} is '${comment.replace(/'/g, "''")}'`);
  } finally {
    await sql.end({ timeout: 2 });
  }
}
