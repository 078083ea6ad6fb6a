import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import drizzle from "eslint-plugin-drizzle";

const DAL = "Read through lib/recovery/data.ts: each of its functions checks the caller's permission itself.";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    // Playwright fixtures take a `use` callback, which is not React's `use` hook.
    files: ["e2e/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  {
    ignores: [".next/**", ".next-*/**", "node_modules/**", ".data/**", "dist/**", "drizzle/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
  {
    // Guard rails for the data layer: an update or delete without a where clause would touch every row.
    plugins: { drizzle },
    rules: {
      "drizzle/enforce-delete-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "drizzle/enforce-update-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Client components and browser code never reach the database or server-only domain code.
    files: ["components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/lib/db/*", "**/lib/db/*", "postgres", "drizzle-orm", "drizzle-orm/*"],
              message: "Client components must not import the data layer.",
              allowTypeImports: true,
            },
            { group: ["@/sim/*", "**/sim/*"], message: "sim/ is the demo world; the console never imports it." },
            {
              group: [
                "@/lib/recovery/actions",
                "@/lib/recovery/actions/*",
                "!@/lib/recovery/actions/types",
                "**/recovery/actions/*",
                "!**/recovery/actions/types",
                "!**/recovery/actions/types.ts",
              ],
              message:
                "The actions' wrapper and definitions run on the server only; client code imports their types from lib/recovery/actions/types.ts and calls the server actions (app/actions/recovery.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    // The demo world is never imported by the console.
    files: ["app/**/*.{ts,tsx}", "lib/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@/sim/*", "**/sim/*"], message: "sim/ is the demo world; the console never imports it." }] }],
    },
  },
  {
    // The data layer sits below the domain code: lib/db never imports lib/recovery (values both need,
    // such as a check's status, live in lib/db/types.ts).
    files: ["lib/db/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/lib/recovery", "@/lib/recovery/**", "**/recovery", "**/recovery/**"],
              message: "lib/db sits below lib/recovery and never imports it: move the type it needs down (lib/db/types.ts).",
            },
            { group: ["@/sim/*", "**/sim/*"], message: "sim/ is the demo world; the console never imports it." },
          ],
        },
      ],
    },
  },
  {
    // Pages, layouts and route handlers read through the data access layer (lib/recovery/data.ts),
    // whose every function checks the caller's permission itself. They never reach the queries.
    files: ["app/**/page.tsx", "app/**/layout.tsx", "app/**/route.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@/lib/recovery/health/snapshot", importNames: ["healthMonitor"], message: DAL },
            { name: "@/lib/recovery/incidents/view", importNames: ["currentIncidents", "statusIncident"], message: DAL },
            { name: "@/lib/recovery/access/users", importNames: ["listUsers"], message: DAL },
            { name: "@/lib/recovery/incidents/contacts", importNames: ["loadContacts"], message: DAL },
            { name: "@/lib/recovery/audit/anchors", importNames: ["readLatestAnchor", "readLatestAnchorCached"], message: DAL },
            { name: "@/lib/recovery/audit/export", importNames: ["exportAudit"], message: DAL },
          ],
          patterns: [
            { group: ["@/lib/db/queries/*", "@/lib/db/client", "**/lib/db/queries/*", "**/lib/db/client"], message: DAL, allowTypeImports: true },
            { group: ["@/sim/*", "**/sim/*"], message: "sim/ is the demo world; the console never imports it." },
          ],
        },
      ],
    },
  },
];

export default config;
