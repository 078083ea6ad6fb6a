/**
 * The trade-director and worker simulators in a process of their own, as the real services are:
 * when the console's own modules run inside the bench process (floor_ratio), simulators in that
 * same process would have their request handling counted as the console's work.
 *
 * Run directly (by startSimsProcess), it starts both and reports their URLs to its parent.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export type SimsProcess = { directorUrl: string; workerUrl: string; stop(): Promise<void> };

export function startSimsProcess(): Promise<SimsProcess> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the simulators' process exited (${code})`)));
    child.once("message", (m) => {
      const { director, worker } = m as { director: string; worker: string };
      child.removeAllListeners("exit");
      resolve({
        directorUrl: director,
        workerUrl: worker,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const { startTradeDirector } = await import("../../sim/trade-director.ts");
  const { startWorkerSim } = await import("../../sim/worker.ts");
  const director = await startTradeDirector({ port: 0 });
  const worker = await startWorkerSim({ port: 0, name: "tick-factory" });
  process.send({ director: director.url, worker: worker.url });
  const stop = () => void Promise.all([director.close(), worker.close()]).then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("disconnect", stop);
}
