// The root router: the whole tRPC API.
import { router, createCallerFactory } from "./init";
import { nodesRouter } from "./routers/nodes";
import { graphsRouter } from "./routers/graphs";
import { runsRouter } from "./routers/runs";
import { systemRouter } from "./routers/system";
import { modelsRouter } from "./routers/models";

export const appRouter = router({
  nodes: nodesRouter,
  graphs: graphsRouter,
  runs: runsRouter,
  system: systemRouter,
  models: modelsRouter,
});
export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
