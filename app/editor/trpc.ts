"use client";
// The typed tRPC client: queries and mutations over plain HTTP, run events over SSE
// (httpSubscriptionLink resumes from the last tracked event id after a disconnect).
// Not batched: system.info can take seconds on a cold start (model probing) and must not
// hold back nodes.list, which the palette and the canvas need first.
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "../../server/trpc/app-router";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function makeTrpcClient() {
  const url = "/api/trpc";
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url }),
        false: httpLink({ url, methodOverride: "POST" }),
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof makeTrpcClient>;
