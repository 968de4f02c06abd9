export * from "./types";
export * from "./euler";
export * from "./sde";
export * from "./heun";
export * from "./registry";
