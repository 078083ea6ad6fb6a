import type { NextRequest } from "next/server";
import { handlers } from "@/auth";
import { shapeSignInResponse } from "@/lib/auth/sign-in-response";

export const { GET } = handlers;

/** A refused credentials sign-in answers 503 or 429 with Retry-After (lib/auth/sign-in-response.ts). */
export async function POST(req: NextRequest): Promise<Response> {
  const res = await handlers.POST(req);
  return req.nextUrl.pathname.endsWith("/callback/credentials") ? shapeSignInResponse(res) : res;
}
