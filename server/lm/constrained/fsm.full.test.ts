// The metadata FSM's property tests at full size: 1000 single-pass, 200 phase-1 and 100 understand walks
// (server/lm/constrained/fsm.test.ts runs a sample of the same seeds in `npm test`).
import { describeFsmProperties } from "../test/fsm-properties";

describeFsmProperties({ singlePass: 1000, cot: 200, understand: 100 });
