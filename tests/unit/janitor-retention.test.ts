import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { retentionFrom } from "@/lib/recovery/janitor";

describe("the janitor's retention", () => {
  it("keeps runs a day, or as long as the longest cooldown, which counts from them", () => {
    expect(retentionFrom(parseEnv({})).runsSeconds).toBe(86_400);
    expect(retentionFrom(parseEnv({ ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: String(3 * 86_400) })).runsSeconds).toBe(3 * 86_400);
  });

  it("keeps previews an hour past their expiry, and approvals and sign-in attempts a day", () => {
    expect(retentionFrom(parseEnv({}))).toMatchObject({ previewsSeconds: 3600, approvalsSeconds: 86_400, loginAttemptsSeconds: 86_400 });
  });
});
