/** One key factory for every client query (STYLE.md example 8). */
export const keys = {
  health: () => ["health"] as const,
};
