// Preloaded into child servers (scripts/console-server.ts): exit when the launcher dies, even by SIGKILL,
// so that no orphaned console keeps the port. Linux re-parents orphans, changing ppid.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    console.error("[recovery-console] launcher is gone; exiting");
    process.exit(1);
  }
}, 1000);
timer.unref();
