/**
 * Calling a server action by hand, as an attacker or a script would: a POST with the
 * `Next-Action` header naming the action's id (from the build's server-reference manifest)
 * and the arguments as a JSON array. No UI involved.
 */
import fs from "node:fs";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";

type Manifest = { node: Record<string, { filename: string; exportedName: string }> };

export function serverActionId(filename: string, exportedName: string): string {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const manifest = JSON.parse(fs.readFileSync(path.join(distDir, "server", "server-reference-manifest.json"), "utf8")) as Manifest;
  const hit = Object.entries(manifest.node).find(([, v]) => v.filename === filename && v.exportedName === exportedName);
  if (!hit) throw new Error(`no server action ${exportedName} in ${filename}`);
  return hit[0];
}

/** POST the action; returns the HTTP status and the raw RSC response text. */
export async function callServerAction(request: APIRequestContext, id: string, args: unknown[], pagePath = "/"): Promise<{ status: number; text: string }> {
  const res = await request.post(pagePath, {
    headers: { "Next-Action": id, "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
    data: JSON.stringify(args),
    maxRedirects: 0,
  });
  return { status: res.status(), text: await res.text() };
}
