// Routes and start-up hooks that subsystems add to the server (REST facade, model
// status), kept out of the core server module.
import type { AppContext } from "../app-context";
import type { ExtraRoute } from "./server";

export function serverRoutes(_app: AppContext): ExtraRoute[] {
  return [];
}

export async function onServerStart(_app: AppContext): Promise<void> {}
