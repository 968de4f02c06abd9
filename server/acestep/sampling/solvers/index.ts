export * from "./types";
export * from "./euler";
export * from "./sde";
export * from "./registry";
