/**
 * Canonical JSON for the audit hash chain. Two writers (or a writer and a verifier, years
 * apart) must produce byte-identical text for the same entry, so the format is fixed here:
 *
 * 1. Objects: members sorted by key (JavaScript string order, i.e. UTF-16 code units),
 *    members whose value is `undefined` omitted; no whitespace anywhere.
 * 2. Arrays: in order; `undefined` elements become `null`.
 * 3. Strings: as JSON.stringify escapes them (RFC 8259).
 * 4. Numbers: finite only (NaN and ±Infinity are an error); -0 is written as 0; otherwise the
 *    ECMAScript shortest round-trip form (Number.prototype.toString), e.g. 1, 1.5, 1e+21.
 * 5. Date: its UTC ISO 8601 form with milliseconds, e.g. "2026-01-03T14:02:00.000Z".
 * 6. bigint: a decimal string. true, false and null as themselves.
 * Anything else (functions, symbols, Map, class instances other than Date) is an error,
 * because it would not survive a round trip through the database's jsonb.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return Object.is(value, -0) ? "0" : String(value);
    case "bigint":
      return JSON.stringify(value.toString());
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
  }
  const obj = value as object;
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) throw new TypeError("canonicalJson: invalid Date");
    return JSON.stringify(obj.toISOString());
  }
  if (seen.has(obj)) throw new TypeError("canonicalJson: circular structure");
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v) => (v === undefined ? "null" : write(v, seen))).join(",")}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: cannot encode ${proto?.constructor?.name ?? "object"}`);
    }
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${write(v, seen)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(obj);
  }
}
