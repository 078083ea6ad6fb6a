/**
 * Server actions from the public origin are allowed when a proxy rewrites the Host header.
 * Read by next.config.ts at build time and again by the console's entry point
 * (scripts/console-server.ts) at start-up, so a built artifact follows the environment it runs in.
 */
export function allowedOrigins(env: Record<string, string | undefined>): string[] | undefined {
  const origin = env.CONSOLE_PUBLIC_URL || env.AUTH_URL;
  if (!origin) return undefined;
  try {
    return [new URL(origin).host];
  } catch {
    return undefined;
  }
}
