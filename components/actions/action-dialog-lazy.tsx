"use client";
import dynamic from "next/dynamic";

/**
 * The confirm dialog (with the re-authentication dialog it may open) is not needed for the first
 * paint: its code loads after hydration, and only where an action button is rendered, so viewers
 * never download it. A click before it has loaded opens the dialog as soon as it arrives.
 */
export const ActionDialog = dynamic(() => import("./action-dialog").then((m) => m.ActionDialog), { ssr: false });
