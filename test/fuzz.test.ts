// A quick seeded fuzz of the input surfaces (100 cases each); test/fuzz.full.test.ts runs 1000 each.
import { describeFuzzSuite } from "./helpers/fuzz";

describeFuzzSuite(100);
