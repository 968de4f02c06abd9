// Checkpoint layouts: key names and shapes per component, derived from config.json.
export {
  type Component,
  COMPONENTS,
  expectedKeys,
  expectedLayout,
  type LayoutOptions,
  OFFICIAL_DIRS,
} from "./components";
export { type DitConfig, ditConfigSchema, ditLayout } from "./dit";
export {
  OFFICIAL_DIT_BASE_CONFIG,
  OFFICIAL_DIT_SFT_CONFIG,
  OFFICIAL_DIT_TURBO_CONFIG,
  OFFICIAL_LM_06B_CONFIG,
  OFFICIAL_LM_17B_CONFIG,
  OFFICIAL_LM_4B_CONFIG,
  OFFICIAL_TEXT_ENCODER_CONFIG,
  OFFICIAL_VAE_CONFIG,
} from "./official-configs";
export { type Qwen3Config, qwen3ConfigSchema, qwen3Layout } from "./qwen3";
export { type KeyShapes, type Layout, paramCount, type Shape } from "./shapes";
export {
  formatValidationReport,
  type IssueCode,
  validateCheckpointDir,
  type ValidationIssue,
  type ValidationReport,
} from "./validate";
export { type VaeConfig, vaeConfigSchema, vaeLayout } from "./vae";
