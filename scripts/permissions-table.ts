/**
 * The roles-and-permissions table of docs/security.md, generated from lib/recovery/access/permissions.ts.
 *   node --import tsx scripts/permissions-table.ts           print it
 *   node --import tsx scripts/permissions-table.ts --write   update docs/security.md between its markers
 * tests/unit/permissions.test.ts fails when docs/security.md and the code disagree.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { permissionTableMarkdown } from "../lib/recovery/access/permissions.ts";

const table = permissionTableMarkdown();
if (process.argv.includes("--write")) {
  const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "docs", "security.md");
  const text = fs.readFileSync(readme, "utf8");
  const re = /<!-- permissions:start -->[\s\S]*?<!-- permissions:end -->/;
  if (!re.test(text)) throw new Error("docs/security.md has no <!-- permissions:start --> … <!-- permissions:end --> markers");
  fs.writeFileSync(readme, text.replace(re, `<!-- permissions:start -->\n${table}\n<!-- permissions:end -->`));
  console.log("docs/security.md updated");
} else {
  console.log(table);
}
