/** One key factory for every client query (STYLE.md example 8). */
export const keys = {
  health: () => ["health"] as const,
  healthHistory: () => ["health", "history"] as const,
  approvals: () => ["approvals"] as const,
  incidents: () => ["incidents", "current"] as const,
  status: () => ["status"] as const,
};
