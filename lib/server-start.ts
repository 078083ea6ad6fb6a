/**
 * Node server start-up: validate the configuration and fail fast with a message that names
 * the variable, rather than a stack trace on the first request.
 */
import { ConfigError, parseEnv } from "./env.ts";

export async function startServer(): Promise<void> {
  try {
    parseEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n[recovery-console] ${err.message}\n\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
}
