"use client";
import dynamic from "next/dynamic";

/** Only approvers see pending approvals, and the list starts empty: its code loads after the first paint. */
export const PendingApprovals = dynamic(() => import("./pending-approvals").then((m) => m.PendingApprovals), { ssr: false });
