/**
 * Server actions called by hand, as a script or an attacker would: a POST with the Next-Action
 * header naming the action (its id from the build's server-reference manifest) and a body encoded
 * by React's own encodeReply, so FormData arguments arrive exactly as a browser sends them.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type { FormArg } from "../../lib/recovery/access/endpoints";

const require = createRequire(import.meta.url);
// The same Flight client the console's pages use, from Next's own copy of React.
const flight = require("next/dist/compiled/react-server-dom-turbopack/client.node") as { encodeReply(v: unknown): Promise<string | FormData> };

type ManifestEntry = { filename: string; exportedName: string; workers: Record<string, unknown> };

export function actionManifest(): Record<string, ManifestEntry> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  return (JSON.parse(fs.readFileSync(path.join(distDir, "server", "server-reference-manifest.json"), "utf8")) as { node: Record<string, ManifestEntry> }).node;
}

/** The action's id and a page that serves it ("app/admin/users/page" → "/admin/users"). */
export function findAction(file: string, exportName: string): { id: string; pagePath: string } | null {
  const hit = Object.entries(actionManifest()).find(([, v]) => v.filename === file && v.exportedName === exportName);
  if (!hit) return null;
  const worker = Object.keys(hit[1].workers).find((w) => w.endsWith("/page") && !w.includes("[")) ?? Object.keys(hit[1].workers)[0]!;
  const route = worker
    .replace(/^app/, "")
    .replace(/\/page$/, "")
    .replace(/\/\([^)]+\)/g, "");
  return { id: hit[0], pagePath: route || "/" };
}

const isForm = (v: unknown): v is FormArg => typeof v === "object" && v !== null && "$form" in v;

export async function encodeActionArgs(args: unknown[]): Promise<string | FormData> {
  const real = args.map((a) => {
    if (!isForm(a)) return a;
    const fd = new FormData();
    for (const [k, v] of Object.entries(a.$form)) fd.append(k, v);
    return fd;
  });
  return flight.encodeReply(real);
}
