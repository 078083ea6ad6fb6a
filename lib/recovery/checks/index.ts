import "server-only";
import { signalsRecent } from "./signals-recent.ts";
import type { CheckDefinition } from "./types.ts";

/** Every check the snapshot evaluates, in display order. */
export const checks: CheckDefinition[] = [signalsRecent];
