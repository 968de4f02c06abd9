// The full seeded fuzz of the input surfaces: 1000 hostile inputs each (graphs.validate, runs.start, /release_task,
// acestep validate), every one answered with a clear error, the server healthy after (issue 14 acceptance).
import { describeFuzzSuite } from "./helpers/fuzz";

describeFuzzSuite(1000);
