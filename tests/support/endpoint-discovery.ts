/**
 * Finds every endpoint in the source, the way Next will serve it: each exported HTTP method of
 * each app/**\/route.ts, and each exported function of each "use server" module. Uses the
 * TypeScript parser, so `export const { GET, POST } = handlers`, re-exports and arrow functions
 * are all seen. Shared by the endpoint registry test and the authorization matrix.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export type Found = { kind: "route"; file: string; method: string } | { kind: "action"; file: string; exportName: string };

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|js|jsx|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The names a module exports (value exports only). */
export function exportedNames(source: ts.SourceFile): string[] {
  const names: string[] = [];
  const isExported = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const bindingNames = (b: ts.BindingName): string[] =>
    ts.isIdentifier(b) ? [b.text] : b.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : bindingNames(el.name)));
  for (const st of source.statements) {
    if (ts.isFunctionDeclaration(st) && isExported(st) && st.name) names.push(st.name.text);
    else if (ts.isVariableStatement(st) && isExported(st)) for (const d of st.declarationList.declarations) names.push(...bindingNames(d.name));
    else if (ts.isExportDeclaration(st) && !st.isTypeOnly && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) if (!el.isTypeOnly) names.push(el.name.text);
    } else if (ts.isExportAssignment(st)) names.push("default");
  }
  return names;
}

function hasUseServerDirective(source: ts.SourceFile): boolean {
  for (const st of source.statements) {
    if (!ts.isExpressionStatement(st) || !ts.isStringLiteral(st.expression)) return false;
    if (st.expression.text === "use server") return true;
  }
  return false;
}

/** Functions with their own "use server" directive inside a module (inline server actions). */
function inlineServerActions(source: ts.SourceFile): number {
  let count = 0;
  const visit = (n: ts.Node) => {
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) && n.body && ts.isBlock(n.body)) {
      const first = n.body.statements[0];
      if (first && ts.isExpressionStatement(first) && ts.isStringLiteral(first.expression) && first.expression.text === "use server") count++;
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return count;
}

export function discoverEndpoints(root: string): { found: Found[]; inline: string[] } {
  const found: Found[] = [];
  const inline: string[] = [];
  const files = ["app", "components", "lib"].flatMap((d) => walk(path.join(root, d)));
  for (const abs of files) {
    const file = path.relative(root, abs).split(path.sep).join("/");
    const text = fs.readFileSync(abs, "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    if (/^app\/(.+\/)?route\.(ts|js)$/.test(file)) {
      for (const name of exportedNames(source)) if ((HTTP_METHODS as readonly string[]).includes(name)) found.push({ kind: "route", file, method: name });
    }
    if (hasUseServerDirective(source)) {
      for (const name of exportedNames(source)) found.push({ kind: "action", file, exportName: name });
    } else if (text.includes("use server") && inlineServerActions(source) > 0) {
      inline.push(file);
    }
  }
  return { found, inline };
}
