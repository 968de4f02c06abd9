// models.list: the installed models per component and the upstream ones that are missing, with the commands
// that install them (the editor's model dropdowns; contract: ModelList in server/models/catalog.ts).
import { router, publicProcedure } from "../init";
import { listModels, type ModelList } from "../../models/catalog";

export const modelsRouter = router({
  list: publicProcedure.query(({ ctx }): Promise<ModelList> => listModels(ctx.app.models)),
});
