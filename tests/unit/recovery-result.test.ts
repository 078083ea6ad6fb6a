/**
 * The recovery wrapper's state in the one shape (lib/actions/recovery.ts): what app/actions/recovery.ts
 * answers, so the action dialog, the bench and the drills read one shape and one vocabulary.
 */
import { describe, expect, it } from "vitest";
import { fromPreviewState, fromRunState } from "@/lib/actions/recovery";
import type { ActionResult as RunResult } from "@/lib/recovery/actions/types";

const run = {
  outcome: "failed",
  perTarget: [{ target: "a", outcome: "failed" }],
  message: "m",
  intentSeq: 1,
  outcomeSeq: 2,
  before: null,
  after: null,
  durationMs: 3,
} as RunResult;

describe("recovery results at the boundary", () => {
  it("a run, an approval request and one in flight keep their status and run", () => {
    expect(fromRunState({ ok: true, status: "done", result: { ...run, outcome: "succeeded" } })).toEqual({
      ok: true,
      result: { status: "done", run: { ...run, outcome: "succeeded" } },
    });
    expect(fromRunState({ ok: true, status: "approval_required", code: "guard.approval_required", approvalId: "ap1", message: "Needs two." })).toEqual({
      ok: true,
      message: "Needs two.",
      result: { status: "approval_required", approvalId: "ap1" },
    });
    expect(fromRunState({ ok: false, status: "in_progress", code: "guard.in_progress", message: "Running." })).toEqual({
      ok: false,
      code: "guard.in_progress",
      message: "Running.",
      result: { status: "in_progress" },
    });
  });

  it("a failed run is a failure that carries what ran", () => {
    expect(fromRunState({ ok: false, status: "done", code: "outcome.failed", message: "It failed.", result: run })).toEqual({
      ok: false,
      code: "outcome.failed",
      message: "It failed.",
      result: { status: "done", run },
    });
  });

  it("refusals use the one vocabulary: invalid input, the store, rate limits", () => {
    expect(fromRunState({ ok: false, code: "guard.input", message: "Some fields need attention.", errors: { reason: ["Give a reason."] } })).toEqual({
      ok: false,
      code: "input.invalid",
      message: "Some fields need attention.",
      fieldErrors: { reason: ["Give a reason."] },
    });
    expect(fromRunState({ ok: false, code: "audit.unavailable", message: "Down." })).toMatchObject({ code: "store.unavailable" });
    expect(fromRunState({ ok: false, code: "guard.rate_limit", message: "Slow down.", retryAfterSeconds: 12 })).toEqual({
      ok: false,
      code: "rate.limited",
      message: "Slow down.",
      retryAfterSeconds: 12,
    });
    expect(fromRunState({ ok: false, code: "auth.reauth_required", message: "Sign in again.", reauth: { method: "sso" } })).toEqual({
      ok: false,
      code: "auth.reauth_required",
      message: "Sign in again.",
      reauth: { method: "sso" },
    });
    expect(fromPreviewState({ ok: false, code: "guard.input", message: "The request is not valid." })).toEqual({
      ok: false,
      code: "input.invalid",
      message: "The request is not valid.",
    });
    expect(fromPreviewState({ ok: true, result: { token: "t" } })).toEqual({ ok: true, result: { token: "t" } });
  });
});
