/**
 * The stakeholders' Atom feed (RFC 4287) of status changes and public notes, for GET /api/status/feed:
 * an incident opening, escalating, resolving, and the notes the on-call marked public, in the same
 * plain words as the status page. Nothing internal: no check ids, no SQL, no people's addresses,
 * no hosts (only the console's own public origin in links).
 *
 * Written by the `feed` library (pinned in package.json) rather than by hand, so escaping and the
 * Atom structure are its job. Pure: the events and the origin come in; tested in
 * tests/db/status-public.test.ts.
 */
import { Feed } from "feed";
import type { StatusFeedEvent } from "../../db/queries/incidents.ts";
import type { StatusDto } from "./status.ts";

export const ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8";

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** One entry's title and text, from the event's kind and the plain words of its scenario. */
function describe(e: StatusFeedEvent, plain: (scenario: number) => string): { title: string; content: string } {
  const what = plain(e.scenario);
  switch (e.kind) {
    case "opened":
      return { title: `Incident: ${what}`, content: `We are investigating: ${what}.` };
    case "level":
      return {
        title: `Escalated to level ${e.level ?? "?"}: ${what}`,
        content:
          e.level === 3
            ? `The incident has reached level 3: trading may be halted while ${what}.`
            : `The incident has reached level ${e.level ?? "?"}; the on-call engineer is engaged.`,
      };
    case "resolved":
      return { title: `Resolved: ${what}`, content: `${capitalize(what)}: resolved; systems are back to normal.` };
    case "note":
      return { title: `Update: ${what}`, content: e.text ?? "" };
  }
}

export function statusFeed(o: { origin: string; status: StatusDto; events: StatusFeedEvent[]; plain: (scenario: number) => string }): string {
  const origin = o.origin.replace(/\/+$/, "");
  const page = `${origin}/status`;
  const newest = o.events[0]?.at;
  const feed = new Feed({
    id: page,
    title: "Trading systems status",
    description: o.status.overall.headline,
    link: page,
    updated: new Date(newest ?? o.status.generatedAt),
    feedLinks: { atom: `${origin}/api/status/feed` },
    generator: false,
    copyright: "",
  });
  for (const e of o.events) {
    const { title, content } = describe(e, o.plain);
    feed.addItem({
      // Stable per event: a reader shows each change once.
      id: `${page}#event-${e.eventId}`,
      title,
      link: page,
      date: new Date(e.at),
      content,
    });
  }
  return feed.atom1();
}
