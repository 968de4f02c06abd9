// Prints one plain closing line, "tests: N passed, N failed[, N skipped][; N files failed outside their tests: …]",
// for CI logs. A file whose hooks or imports failed (its tests then count as skipped) is named, so the line never
// reads "0 failed" for a failed run.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const brokenFiles: string[] = [];
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failedHere++;
        else skipped++;
      }
      failed += failedHere;
      if (m.state() === "failed" && failedHere === 0) brokenFiles.push(m.relativeModuleId);
    }
    const broken = brokenFiles.length
      ? `; ${brokenFiles.length} file${brokenFiles.length > 1 ? "s" : ""} failed outside their tests: ${brokenFiles.join(", ")}`
      : "";
    process.stdout.write(
      `\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${broken}\n`,
    );
  }
}
