/**
 * The console's root folder: the nearest folder above `fromUrl` (a module's import.meta.url) that
 * holds a package.json. The same in the repository (scripts and lib run from source) and in the
 * packaged artifact (the entry point and CLIs are bundles in its bin/ folder; docs/deploying.md).
 * No server-only marker: scripts import it.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function appRoot(fromUrl: string): string {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(fromUrl)}`);
    dir = up;
  }
}
