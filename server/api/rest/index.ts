// The ACE-Step-compatible REST facade: routes, request fields, envelope and tasks (stored runs).
export { RestFacade, restRoutes, REST_PATHS, type RestFacadeOptions } from "./routes";
export { parseReleaseBody, REST_FIELDS, type ParsedRelease } from "./fields";
export { wrap } from "./envelope";
export { TASK_KIND, queryTask, taskStats, type TaskPayload } from "./tasks";
