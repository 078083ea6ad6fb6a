/**
 * Malformed server-action requests get a 4xx before Next decodes them (issue 12, point 8).
 *
 * A server action call is a POST with a `Next-Action` header naming the action and a body that is
 * React's encoding of the arguments (encodeReply): a JSON array as text, or multipart form data
 * whose numeric fields are JSON chunks referring to each other (`$1`, `$K2`, …). Next 16.4 decodes
 * that body before any of our code runs, and answers a body it cannot decode (not JSON, invalid
 * UTF-8, a reference to a part that is not there) with a 500 (vercel/next.js issue 86945, open).
 * The proxy (proxy.ts) runs this check first and answers such requests itself: 413 above
 * ACTION_BODY_LIMIT_BYTES, 415 for a body type an action never takes, 400 for a body React could
 * not decode, 404 for an action id of the wrong shape. A well-formed body passes on unchanged, and
 * the action's own wrapper (lib/actions/mutation.ts) judges the values inside it.
 *
 * Pure (Request in, Response or null out) and free of Next imports, so unit tests call it directly.
 */

/** Server-action bodies above this are refused (next.config.ts sets Next's own limit to match). */
export const ACTION_BODY_LIMIT_BYTES = 256 * 1024;
/** The same, in next.config's notation. */
export const ACTION_BODY_LIMIT = "256kb";
/** At most this many multipart fields: forms here have a handful. */
const MAX_PARTS = 256;

/** An action id as Next 16 builds them: 42 hex digits (a type byte and a hash). */
const ACTION_ID = /^[0-9a-f]{2,64}$/i;

function refusal(status: 400 | 404 | 413 | 415, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });
}

const malformed = (why: string) => refusal(400, "input.malformed", `The server action request is malformed: ${why}.`);

/**
 * Strings React's reply decoder reads as something other than a plain string. In a text body (one
 * chunk) only those that need no other part may appear; in multipart, references must name a part
 * that exists. Server references ($F, $h) are never arguments of ours.
 */
function checkRefs(value: unknown, parts: ReadonlySet<string> | null, depth = 0): string | null {
  if (depth > 64) return "nested too deeply";
  if (typeof value === "string") {
    if (value[0] !== "$" || value.length < 2) return null;
    const tag = value[1]!;
    // Values with no part behind them: $$ (a literal $), undefined, NaN, ±Infinity, -0, Date, BigInt, temporary references.
    if (tag === "$" || /^\$(undefined|NaN|Infinity|-Infinity|-0)$/.test(value) || tag === "D" || tag === "n" || tag === "T") return null;
    if (tag === "F" || tag === "h") return "it passes a server reference as an argument";
    if (parts === null) return "it refers to a part a text body cannot have";
    const id = /^\$[A-Za-z@]?([0-9a-f]+)/.exec(value)?.[1];
    if (id === undefined) return `it has an unknown reference ${JSON.stringify(value.slice(0, 20))}`;
    const key = String(parseInt(id, 16));
    if (tag === "K") return null; // a FormData argument: its entries are prefixed fields, possibly none
    return parts.has(key) ? null : "it refers to a part that is not in the body";
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = checkRefs(v, parts, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) {
      const bad = checkRefs(v, parts, depth + 1);
      if (bad) return bad;
    }
  }
  return null;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Read at most `limit` bytes; null when the body is larger. Shared by every bounded body read. */
export async function readCapped(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Null when `request` is not a server-action call or is well-formed; otherwise the 4xx to answer. */
export async function checkActionRequest(request: Request, limit = ACTION_BODY_LIMIT_BYTES): Promise<Response | null> {
  const id = request.headers.get("next-action");
  if (request.method !== "POST" || id === null) return null;
  if (!ACTION_ID.test(id)) return refusal(404, "action.not_found", "No such server action.");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return refusal(413, "input.too_large", `Server action requests are limited to ${limit} bytes.`);
  // The boundary parameter is case-sensitive: compare the type in lower case, parse with the original.
  const rawType = request.headers.get("content-type") ?? "";
  const type = rawType.toLowerCase();
  const multipart = type.startsWith("multipart/form-data");
  if (!multipart && !(type === "" || type.startsWith("text/plain") || type.startsWith("text/x-component") || type.startsWith("application/json"))) {
    return refusal(415, "input.unsupported", "Server actions take text/plain or multipart/form-data bodies.");
  }
  let bytes: Uint8Array<ArrayBuffer> | null;
  try {
    bytes = await readCapped(request, limit);
  } catch {
    return malformed("the body could not be read");
  }
  if (bytes === null) return refusal(413, "input.too_large", `Server action requests are limited to ${limit} bytes.`);

  if (!multipart) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return malformed("the body is not UTF-8");
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return malformed("the body is not JSON");
    if (!Array.isArray(parsed.value)) return malformed("the arguments are not a list");
    const bad = checkRefs(parsed.value, null);
    return bad ? malformed(bad) : null;
  }

  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": rawType } }).formData();
  } catch {
    return malformed("the multipart body cannot be parsed");
  }
  const chunks = new Map<string, string>();
  let count = 0;
  for (const [key, value] of form.entries()) {
    if (++count > MAX_PARTS) return malformed("it has too many parts");
    // React's reply protocol: numeric keys are JSON chunks; `<n>_<name>` fields belong to FormData arguments.
    if (/^\d+$/.test(key)) {
      if (typeof value !== "string") continue; // a Blob argument's part
      if (!value.isWellFormed()) return malformed("a part is not valid Unicode");
      chunks.set(key, value);
    }
  }
  if (!chunks.has("0")) return malformed("the arguments part is missing");
  const keys = new Set([...form.keys()].filter((k) => /^\d+$/.test(k)));
  for (const [key, text] of chunks) {
    const parsed = parseJson(text);
    if (!parsed.ok) return malformed(`part ${key} is not JSON`);
    if (key === "0" && !Array.isArray(parsed.value)) return malformed("the arguments are not a list");
    const bad = checkRefs(parsed.value, keys);
    if (bad) return malformed(bad);
  }
  return null;
}

/**
 * A path whose percent-encoding does not decode (`%ED%A0%80` is a lone surrogate, `%E0%A4%A` is cut
 * short): Next 16 fails decoding such a dynamic segment with a 500. The proxy answers 400 first.
 */
export function checkPath(pathname: string): Response | null {
  try {
    decodeURIComponent(pathname);
    return null;
  } catch {
    return refusal(400, "input.malformed", "The URL is malformed: its percent-encoding is not UTF-8.");
  }
}
