import type { SignalsRecentDetail } from "@/lib/recovery/health/checks/signals-recent";
import { age, Facts } from "./parts";
import type { CheckRenderer } from "./types";

export const signalsRecentRenderer: CheckRenderer<SignalsRecentDetail> = {
  Body({ detail: d }) {
    return (
      <Facts
        items={[
          ["window", age(d.windowSeconds)],
          ["newest signal", d.newestAgeSeconds === null || d.newestAgeSeconds === undefined ? "none ever" : `${age(d.newestAgeSeconds)} ago`],
        ]}
      />
    );
  },
};
