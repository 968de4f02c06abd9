// What the host process offers to node implementations. The engine passes this object
// through untouched; each subsystem adds its optional member here as it lands.

import type { ModelManager } from "../server/models/manager";

export interface NodeServices {
  /** Root folder for user data (uploads, outputs); file params are confined to it. */
  dataDir?: string;
  /** Converted models and their ORT sessions (demo weights when none are configured). */
  models?: ModelManager;
  /** Extension point for model runtimes and other heavy services (typed by their modules). */
  [name: string]: unknown;
}
