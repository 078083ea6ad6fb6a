import type { MetadataRoute } from "next";

/** An internal console: no crawler has anything to index (served without a session, see proxy.ts). */
export default function robots(): MetadataRoute.Robots {
  return { rules: { userAgent: "*", disallow: "/" } };
}
