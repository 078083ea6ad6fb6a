import { inject } from "vitest";

// The code under test reads its configuration from the environment, as in production.
process.env.TRADING_DATABASE_URL = inject("tradingUrl");
process.env.CONSOLE_DATABASE_URL = inject("consoleUrl");
