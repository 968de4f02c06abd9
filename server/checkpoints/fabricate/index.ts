// `acestep models fabricate`: official-layout checkpoints with seeded random weights, tiny or full size.
export {
  type CatalogEntry,
  DEFAULT_FABRICATE_COMPONENTS,
  FABRICATE_CATALOG,
  FABRICATE_SIZES,
  type FabricateSize,
  UPSTREAM_MAX_SHARD_BYTES,
} from "./catalog";
export {
  fabricateCheckpoints,
  type FabricateDtype,
  type FabricateOptions,
  type FabricateProgress,
  formatFabricationPlan,
  planFabrication,
  type PlannedComponent,
  type PlannedTensor,
  SILENCE_LATENT_FRAMES,
} from "./fabricate";
