import { inject } from "vitest";

// The code under test reads its configuration from the environment, as in production.
process.env.TRADING_DATABASE_URL = inject("tradingUrl");
process.env.CONSOLE_DATABASE_URL = inject("consoleUrl");
// A test worker is a process seconds old: the start-up warm-up (lib/recovery/health/checks/warmup.ts) would
// make every "no heartbeat" reading pending. Tests of the warm-up itself set it back.
process.env.CHECK_WARMUP_SECONDS ??= "0";
