import { defineConfig } from "drizzle-kit";

// Fixture DDL for the trading tables: applied to demo and test databases only.
export default defineConfig({
  dialect: "postgresql",
  schema: "./lib/db/schema/trading.ts",
  out: "./drizzle/trading-fixtures",
});
