// Routes and start-up hooks that subsystems add to the server (REST facade, model
// status), kept out of the core server module.
import type { AppContext } from "../app-context";
import type { ExtraRoute } from "./server";
import { restRoutes } from "../api/rest";

export function serverRoutes(app: AppContext): ExtraRoute[] {
  // The ACE-Step-compatible REST facade: /release_task, /query_result, /v1/audio, /v1/stats, /health.
  return [...restRoutes(app)];
}

export async function onServerStart(app: AppContext): Promise<void> {
  if (app.models.demo) console.log("DEMO WEIGHTS: no ACESTEP_MODELS configured — running tiny random models; the audio is noise.");
  // Prepare models in the background so the first run does not wait for the demo conversion.
  app.models.ready().catch((e) => console.error(`models: ${(e as Error).message}`));
}
