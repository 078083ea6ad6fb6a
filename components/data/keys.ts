/** One key factory for every client query, so a panel's query and its invalidation cannot drift apart. */
export const keys = {
  health: () => ["health"] as const,
  healthHistory: () => ["health", "history"] as const,
  approvals: () => ["approvals"] as const,
  automation: () => ["automation"] as const,
  incidents: () => ["incidents", "current"] as const,
  status: () => ["status"] as const,
};
