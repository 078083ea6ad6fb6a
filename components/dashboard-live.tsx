"use client";
/**
 * The dashboard's live parts, server-rendered with the page but with their code deferred
 * (components/lazy.tsx): the first paint is the server's HTML, complete, and the browser fetches the
 * panels' and the banner's code (polling, clocks, buttons) while it hydrates the frame. TanStack
 * Query's client and provider stay in the first load (components/providers.tsx), its hooks come
 * with the parts that use them.
 */
import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useState } from "react";
import { deferred } from "./lazy";

export const HealthBoard = deferred(() => import("./health-board").then((m) => m.HealthBoard));
export const IncidentBanner = deferred(() => import("./incidents/incident-banner").then((m) => m.IncidentBanner));

/**
 * Puts a server-read value into the query cache before any deferred part hydrates, so every part
 * that reads the same key (the banner, and the panels' runbook steps that share its query) starts
 * from the data the server rendered, whichever part's code arrives first. A key already in the
 * cache (a client-side navigation back) is left alone.
 */
export function SeedQuery<T>({ queryKey, data }: { queryKey: QueryKey; data: T | null }) {
  const client = useQueryClient();
  useState(() => {
    if (data !== null && client.getQueryData(queryKey) === undefined) client.setQueryData(queryKey, data);
    return null;
  });
  return null;
}
