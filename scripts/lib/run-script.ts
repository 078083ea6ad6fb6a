/**
 * Run one of the project's TypeScript scripts as `npm run` does (node with the react-server
 * condition and tsx), collecting its exit code and output: for tests and drills that check a
 * command line the way its users meet it.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export type ScriptResult = { code: number | null; stdout: string; stderr: string };

/** `script` is relative to the repository (e.g. "scripts/user.ts"); `stdin` is written and closed, or stdin is ignored. */
export function runScript(script: string, args: string[], opts: { env: NodeJS.ProcessEnv; stdin?: string }): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(root, script), ...args], {
      cwd: root,
      env: opts.env,
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  });
}
