"use client";
import { clientOnly } from "../lazy";

/** Only approvers see pending approvals, and the list starts empty: its code loads after the first paint. */
export const PendingApprovals = clientOnly(() => import("./pending-approvals").then((m) => m.PendingApprovals));
