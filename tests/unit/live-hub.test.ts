/**
 * The live stream's hub (lib/recovery/live/hub.ts): one build per kind of viewer per push, whatever
 * the number of streams; the caller re-checked at each push; streams that end, are abandoned or do
 * not read are let go.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { LiveHub, type LiveSource } from "@/lib/recovery/live/hub";

function source(over: Partial<LiveSource> = {}) {
  const calls = { health: 0, incidents: 0 };
  let n = 0;
  const src: LiveSource = {
    refreshSeconds: () => 0.05,
    health: async (details) => {
      calls.health++;
      return { n: ++n, details, secret: details ? "SELECT secret" : undefined };
    },
    incidents: async (contacts) => {
      calls.incidents++;
      return { incidents: [], contacts };
    },
    ...over,
  };
  return { src, calls };
}

type Event = { event: string; data: unknown };

/** Reads events from a stream as they come. */
function reader(stream: ReadableStream<Uint8Array>) {
  const r = stream.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const events: Event[] = [];
  const ids: { event: string; id: string }[] = [];
  let done = false;
  const pump = (async () => {
    for (;;) {
      const { value, done: end } = await r.read();
      if (end) {
        done = true;
        return;
      }
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const id = /^id: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
        if (event && id !== undefined) ids.push({ event, id });
      }
    }
  })();
  return { events, ids, ended: () => done, pump, cancel: () => r.cancel() };
}

const hubs: LiveHub[] = [];
function hub(src: LiveSource, opts: Partial<ConstructorParameters<typeof LiveHub>[1]> = {}) {
  const h = new LiveHub(src, { maxSeconds: 60, ...opts });
  hubs.push(h);
  return h;
}
afterEach(() => {
  for (const h of hubs.splice(0)) h.closeAll();
});

describe("the live hub", () => {
  it("sends the current frames at once, then one push per interval, built once per variant for all its streams", async () => {
    const { src, calls } = source();
    const h = hub(src);
    const allow = async () => true;
    const viewers = Array.from({ length: 50 }, () => reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: allow })));
    const oncall = reader(h.open({ variant: { details: true, contacts: true }, stillAllowed: allow }));
    await vi.waitFor(() => expect(viewers.every((v) => v.events.length >= 2)).toBe(true));
    expect(viewers[0]!.events.map((e) => e.event).slice(0, 2)).toEqual(["health", "incidents"]);
    await vi.waitFor(() => expect(viewers.every((v) => v.events.filter((e) => e.event === "health").length >= 3)).toBe(true));
    // 51 streams, two variants: each push (and the opening) builds each variant's frames once, not 51 times.
    const pushesSeen = Math.max(...[...viewers, oncall].map((v) => v.events.filter((e) => e.event === "health").length));
    expect(calls.health).toBe(h.builds);
    expect(calls.health).toBeLessThanOrEqual(2 * (pushesSeen + 1));
    // Each variant sees its own cut: the viewer never the detail, on-call the detail and contacts.
    expect(viewers[0]!.events.find((e) => e.event === "health")!.data).toMatchObject({ details: false });
    expect(JSON.stringify(viewers.map((v) => v.events))).not.toContain("SELECT secret");
    expect(oncall.events.find((e) => e.event === "health")!.data).toMatchObject({ details: true, secret: "SELECT secret" });
    expect(oncall.events.find((e) => e.event === "incidents")!.data).toMatchObject({ contacts: true });
  });

  it("numbers each push (the events' id), and a stream opened between pushes gets the last one's", async () => {
    const { src } = source({ refreshSeconds: () => 0.2 });
    const h = hub(src);
    const a = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true, signal: undefined }));
    await vi.waitFor(() => expect(a.events.filter((e) => e.event === "health").length).toBeGreaterThanOrEqual(3), { timeout: 3000 });
    const ids = a.ids.filter((x) => x.event === "health").map((x) => Number(x.id));
    expect(ids.slice(0, 3)).toEqual([0, 1, 2]);
    const b = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true }));
    await vi.waitFor(() => expect(b.ids.length).toBeGreaterThan(0));
    expect(Number(b.ids[0]!.id)).toBe(Math.max(...a.ids.map((x) => Number(x.id))));
  });

  it("ends a stream whose caller is no longer allowed, at the next push, and keeps the others", async () => {
    const { src } = source();
    const h = hub(src);
    let allowed = true;
    const revoked = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => allowed }));
    const other = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true }));
    await vi.waitFor(() => expect(revoked.events.length).toBeGreaterThan(0));
    allowed = false;
    await vi.waitFor(() => expect(revoked.ended()).toBe(true));
    const seen = other.events.length;
    await vi.waitFor(() => expect(other.events.length).toBeGreaterThan(seen + 1));
    expect(other.ended()).toBe(false);
    expect(h.streams).toBe(1);
  });

  it("a failing re-check ends the stream (fails closed)", async () => {
    const { src } = source();
    const h = hub(src);
    let fail = false;
    const s = reader(
      h.open({
        variant: { details: false, contacts: false },
        stillAllowed: async () => {
          if (fail) throw new Error("store down");
          return true;
        },
      }),
    );
    await vi.waitFor(() => expect(s.events.length).toBeGreaterThan(0));
    fail = true;
    await vi.waitFor(() => expect(s.ended()).toBe(true));
  });

  it("ends streams at their lifetime, on the client's abort or cancel, and stops when none is left", async () => {
    const { src, calls } = source({ refreshSeconds: () => 0.02 });
    const h = hub(src, { maxSeconds: 0.1 });
    const timed = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true }));
    await vi.waitFor(() => expect(timed.ended()).toBe(true), { timeout: 2000 });

    const h2 = hub(source().src);
    const aborted = new AbortController();
    const a = reader(h2.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true, signal: aborted.signal }));
    const c = reader(h2.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true }));
    await vi.waitFor(() => expect(a.events.length + c.events.length).toBeGreaterThan(2));
    aborted.abort();
    await vi.waitFor(() => expect(a.ended()).toBe(true));
    await c.cancel();
    await vi.waitFor(() => expect(h2.streams).toBe(0));
    // No stream, no work: the hub of the ended streams builds nothing more.
    const built = calls.health;
    await new Promise((r) => setTimeout(r, 100));
    expect(calls.health).toBe(built);
  });

  it("an already aborted request gets an ended stream and no subscription", async () => {
    const h = hub(source().src);
    const aborted = new AbortController();
    aborted.abort();
    const s = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true, signal: aborted.signal }));
    await s.pump;
    expect(s.ended()).toBe(true);
    expect(h.streams).toBe(0);
  });

  it("drops a client that does not read once its unread bytes pass the limit", async () => {
    const big = "x".repeat(64 * 1024);
    const { src } = source({ health: async () => ({ big }) });
    const h = hub(src, { maxBufferedBytes: 256 * 1024 });
    // Never read: the stream's queue grows by one frame per push.
    h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true });
    await vi.waitFor(() => expect(h.streams).toBe(0), { timeout: 5000 });
  });

  it("sends health without incidents when the store cannot list them", async () => {
    const { src } = source({
      incidents: async () => {
        throw new Error("store down");
      },
    });
    const h = hub(src);
    const s = reader(h.open({ variant: { details: false, contacts: false }, stillAllowed: async () => true }));
    await vi.waitFor(() => expect(s.events.filter((e) => e.event === "health").length).toBeGreaterThan(1));
    expect(s.events.some((e) => e.event === "incidents")).toBe(false);
  });
});
