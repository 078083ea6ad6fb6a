/**
 * The README's roles-and-permissions table, generated from lib/recovery/access/permissions.ts.
 *   node --import tsx scripts/permissions-table.ts           print it
 *   node --import tsx scripts/permissions-table.ts --write   update README.md between its markers
 * tests/unit/permissions.test.ts fails when the README and the code disagree.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { permissionTableMarkdown } from "../lib/recovery/access/permissions.ts";

const table = permissionTableMarkdown();
if (process.argv.includes("--write")) {
  const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "README.md");
  const text = fs.readFileSync(readme, "utf8");
  const re = /<!-- permissions:start -->[\s\S]*?<!-- permissions:end -->/;
  if (!re.test(text)) throw new Error("README.md has no <!-- permissions:start --> … <!-- permissions:end --> markers");
  fs.writeFileSync(readme, text.replace(re, `<!-- permissions:start -->\n${table}\n<!-- permissions:end -->`));
  console.log("README.md updated");
} else {
  console.log(table);
}
