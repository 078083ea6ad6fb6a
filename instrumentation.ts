/**
 * Runs once when the Node server starts: validate the configuration and fail fast with a
 * message that names the variable, rather than a stack trace on the first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { parseEnv, ConfigError } = await import("./lib/env.ts");
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
