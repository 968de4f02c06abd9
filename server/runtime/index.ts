// server/runtime: onnxruntime-node sessions in a worker thread, model registry, self-test.
export * from "./session-host"; // createSessionHost, SessionHost, LoadOptions, RunOptions, HostInfo
export * from "./registry"; // createModelRegistry, ModelRegistry, ModelSpec
export * from "./errors"; // ModelLoadError, WorkerCrashedError, RunError, SessionNotLoadedError
export * from "./self-test"; // runtimeInfo, runSelfTest
export * from "./providers"; // cudaBinariesPresent, ortBinDir, ExecutionProviderChoice
export { feedProblem, type TensorData, type TensorType, type TensorArrays } from "./tensor";
export * from "./threads"; // ortThreads
