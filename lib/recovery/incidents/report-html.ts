/**
 * The drafted report (report.ts, Markdown) rendered as HTML for the printable page, by unified:
 * remark-parse with GitHub tables (remark-gfm), then remark-rehype and rehype-stringify. Raw HTML
 * in the Markdown is dropped, not passed through (remark-rehype's default), so text from the
 * incident (notes, reasons) cannot inject markup.
 */
import type { Element, ElementContent, Root } from "hast";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";

/**
 * The checklist's ticks as marks, not disabled form fields: a printed report has nothing to tick,
 * and an input without a label is a form control no assistive technology can name.
 */
function checklistMarks() {
  const walk = (node: Root | Element) => {
    node.children = node.children.map((child): ElementContent => {
      if (child.type !== "element") return child as ElementContent;
      if (child.tagName === "input" && child.properties?.type === "checkbox") {
        const done = !!child.properties.checked;
        return {
          type: "element",
          tagName: "span",
          properties: { role: "img", ariaLabel: done ? "done" : "not done" },
          children: [{ type: "text", value: done ? "☑" : "☐" }],
        };
      }
      walk(child);
      return child;
    }) as typeof node.children;
  };
  return (tree: Root) => walk(tree);
}

const UTC_TIME = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g;

/**
 * The report's times ("2026-01-03 14:02:05 UTC") as <time datetime> elements, so that the page
 * shows them as every page does (components/time.tsx LocalizedHtml: local with the zone named, or
 * UTC by the viewer's setting; the exact UTC on hover). The Markdown download keeps UTC text.
 */
function timeElements() {
  const split = (value: string): ElementContent[] => {
    const out: ElementContent[] = [];
    let last = 0;
    for (const m of value.matchAll(UTC_TIME)) {
      const iso = `${m[1]}T${m[2]}.000Z`;
      if (m.index > last) out.push({ type: "text", value: value.slice(last, m.index) });
      out.push({
        type: "element",
        tagName: "time",
        properties: { dateTime: iso, title: `${m[1]} ${m[2]}.000 UTC` },
        children: [{ type: "text", value: m[0] }],
      });
      last = m.index + m[0].length;
    }
    if (last < value.length) out.push({ type: "text", value: value.slice(last) });
    return out;
  };
  const walk = (node: Root | Element) => {
    node.children = node.children.flatMap((child): ElementContent[] => {
      if (child.type === "text") return split(child.value);
      if (child.type === "element") walk(child);
      return [child as ElementContent];
    }) as typeof node.children;
  };
  return (tree: Root) => walk(tree);
}

const processor = unified().use(remarkParse).use(remarkGfm).use(remarkRehype).use(checklistMarks).use(timeElements).use(rehypeStringify);

export function reportHtml(markdown: string): string {
  return String(processor.processSync(markdown));
}
