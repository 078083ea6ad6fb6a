"use client";
import { clientOnly } from "../lazy";

/**
 * The confirm dialog (with the re-authentication dialog it may open) is not needed for the first
 * paint: its code loads after hydration, and only where an action button is rendered, so viewers
 * never download it. A click before it has loaded opens the dialog as soon as it arrives.
 */
export const ActionDialog = clientOnly(() => import("./action-dialog").then((m) => m.ActionDialog));
