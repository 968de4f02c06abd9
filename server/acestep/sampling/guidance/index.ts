export * from "./shape";
export * from "./cfg";
export * from "./apg";
export * from "./adg";
