/**
 * The string rule for every input that can reach the console store (and so the audit trail):
 * no NUL (U+0000) and no unpaired UTF-16 surrogate. PostgreSQL cannot store either as sent
 * (text and jsonb refuse NUL; the driver turns a lone surrogate into U+FFFD and jsonb refuses its
 * escape), so such a string is refused at the edge with a field error, never stored altered.
 *
 * Use `text()` wherever an input schema would use `z.string()`; it takes the same arguments and
 * returns a zod string schema, so `.trim().min().max()` chain as before. The audit writer
 * normalizes whatever still gets through (storedText in lib/recovery/audit/hash.ts), so the
 * hash chain holds even for a caller that skips this rule.
 */
import { z } from "zod";

export const MALFORMED_TEXT_MESSAGE = "Contains characters that cannot be stored (a NUL character or a broken UTF-16 surrogate).";

/** True when `s` can be stored and read back unchanged: well-formed UTF-16 and no NUL. */
export function isStorableText(s: string): boolean {
  return s.isWellFormed() && !s.includes("\0");
}

/** `z.string(params)` that refuses NUL and unpaired surrogates with MALFORMED_TEXT_MESSAGE. */
export function text(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).refine(isStorableText, { message: MALFORMED_TEXT_MESSAGE, abort: true });
}
