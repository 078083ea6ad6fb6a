/**
 * `npm run user -- <command>`: manage console users from a shell.
 *   add <email> --role <role> [--password-stdin]
 *   set-role <email> <role>
 *   disable <email> | enable <email>
 *   reset-password <email> [--password-stdin]
 *   list
 * Without --password-stdin the password is asked for without echo (in a terminal).
 * Every change is audited with the actor "cli:<os user>".
 */
import os from "node:os";
import { cliStores, exitWithConfigError } from "./lib/stack.ts";

let stopDbs: () => Promise<void> = async () => {};

const USAGE = `usage: npm run user -- add <email> --role <oncall|viewer|auditor|admin> [--password-stdin]
       npm run user -- set-role <email> <role>
       npm run user -- disable <email> | enable <email>
       npm run user -- reset-password <email> [--password-stdin]
       npm run user -- list`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/**
 * Ask without echo: raw mode, printing nothing for typed characters. Raw mode is on before the
 * prompt shows, so nothing typed after the prompt is echoed. A "data" listener, not `for await`:
 * leaving a `for await` loop destroys process.stdin, and the second prompt ("Again: ") then failed.
 */
function askHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return Promise.reject(new Error("no terminal to ask for the password; use --password-stdin"));
  const stdin = process.stdin;
  stdin.setRawMode(true);
  process.stdout.write(prompt);
  return new Promise<string>((resolve, reject) => {
    let value = "";
    const finish = (err: Error | null) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003") return finish(new Error("cancelled"));
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.resume();
  });
}

async function password(args: string[]): Promise<string> {
  if (args.includes("--password-stdin")) return readStdin();
  const a = await askHidden("Password (12+ characters): ");
  const b = await askHidden("Again: ");
  if (a !== b) throw new Error("the two passwords differ");
  return a;
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (!cmd || cmd === "--help" || cmd === "-h") {
    console.log(USAGE);
    return;
  }
  stopDbs = await cliStores();
  const users = await import("../lib/recovery/access/users.ts");
  const { closeStores } = await import("../lib/db/client.ts");
  const ctx = { actor: { id: `cli:${os.userInfo().username}`, email: `cli:${os.userInfo().username}`, role: "admin" }, request: { userAgent: "npm run user" } };
  const positional = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--role");
  try {
    switch (cmd) {
      case "add": {
        const role = args[args.indexOf("--role") + 1];
        if (!positional[0] || !args.includes("--role") || !role) throw new Error(USAGE);
        await users.addUser({ email: positional[0], role: role as never, password: await password(args) }, ctx);
        console.log(`added ${positional[0]} (${role})`);
        break;
      }
      case "set-role":
        if (!positional[0] || !positional[1]) throw new Error(USAGE);
        await users.setRole(positional[0], positional[1] as never, ctx);
        console.log(`${positional[0]} is now ${positional[1]}; their open sessions end within 60 s`);
        break;
      case "disable":
      case "enable":
        if (!positional[0]) throw new Error(USAGE);
        await users.setDisabled(positional[0], cmd === "disable", ctx);
        console.log(`${positional[0]} ${cmd}d`);
        break;
      case "reset-password":
        if (!positional[0]) throw new Error(USAGE);
        await users.resetPassword(positional[0], await password(args), ctx);
        console.log(`password reset for ${positional[0]}`);
        break;
      case "list":
        for (const u of await users.listUsers()) {
          console.log(`${u.email.padEnd(32)} ${u.role.padEnd(8)} ${u.disabled ? "disabled" : "active  "} last login ${u.lastLoginAt ?? "never"}`);
        }
        break;
      default:
        throw new Error(`unknown command "${cmd}"\n${USAGE}`);
    }
  } finally {
    await closeStores();
    await stopDbs();
  }
}

main().catch((err) => {
  if (err && typeof err === "object" && "issues" in err) {
    console.error((err as { issues: { message: string }[] }).issues.map((i) => i.message).join("\n"));
    process.exit(1);
  }
  exitWithConfigError(err, "Error");
});
