import { defineConfig } from "drizzle-kit";

// The console store: users, audit log, incidents. Always in the Postgres schema `console`,
// whether that lives in its own database or beside the trading tables.
export default defineConfig({
  dialect: "postgresql",
  schema: "./lib/db/schema/console.ts",
  out: "./drizzle/console",
  schemaFilter: ["console"],
});
