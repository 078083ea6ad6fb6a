"use client";
/**
 * next/link, its code deferred (components/lazy.tsx): the server renders the same <a>, and until
 * the code arrives a click is a plain navigation (a full page load) instead of a client-side one.
 * About 4 kB gzip less in the dashboard's first load.
 */
import type { ComponentProps } from "react";
import type NextLink from "next/link";
import { deferred } from "./lazy";

type Props = Pick<ComponentProps<typeof NextLink>, "className" | "children"> & { href: string };

export const Link = deferred<Props>(
  () => import("next/link").then((m) => m.default),
  ({ href, className, children }) => (
    <a href={href} className={className}>
      {children}
    </a>
  ),
);
