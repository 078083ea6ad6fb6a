/**
 * The file through which the running demo tells `npm run sim` where its control server
 * is: `{"controlUrl": "http://127.0.0.1:..."}` at SIM_STATE_FILE or <repo>/.data/sim.json.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface SimStateFile {
  controlUrl: string;
}

export function simStateFilePath(): string {
  const override = process.env.SIM_STATE_FILE;
  if (override) return resolve(override);
  return fileURLToPath(new URL("../.data/sim.json", import.meta.url));
}

/** For the demo: records the control URL (and removes the file again on shutdown). */
export async function writeSimStateFile(state: SimStateFile, path = simStateFilePath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(state, null, 2)}\n`, "utf8");
}

export async function removeSimStateFile(path = simStateFilePath()): Promise<void> {
  await rm(path, { force: true });
}

/** The recorded state, or null when the file is missing or not valid. */
export async function readSimStateFile(path = simStateFilePath()): Promise<SimStateFile | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as { controlUrl?: unknown }).controlUrl === "string") {
      return { controlUrl: (parsed as { controlUrl: string }).controlUrl };
    }
  } catch {
    // fall through: treat a corrupt file like a missing one
  }
  return null;
}
