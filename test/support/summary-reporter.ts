// Prints one plain closing line, "vitest: N passed, N failed[, N skipped]", after the default
// reporter's output, so that tools reading the end of a CI log get an unambiguous count.
import type { Reporter, RunnerTestFile, RunnerTask } from 'vitest/node';

function countTests(
  tasks: readonly RunnerTask[],
  totals: { passed: number; failed: number; skipped: number },
) {
  for (const task of tasks) {
    if (task.type === 'suite') {
      countTests(task.tasks, totals);
      continue;
    }
    const state = task.result?.state;
    if (state === 'pass') totals.passed++;
    else if (state === 'fail') totals.failed++;
    else totals.skipped++;
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const totals = { passed: 0, failed: 0, skipped: 0 };
    countTests(files, totals);
    // A file that failed to load, or an unhandled error, is a failure even with no failed test.
    const fileErrors = files.filter(
      (file) => file.result?.state === 'fail' && file.tasks.length === 0,
    ).length;
    totals.failed += fileErrors + errors.length;
    const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
    process.stdout.write(`\nvitest: ${totals.passed} passed, ${totals.failed} failed${skipped}\n`);
  }
}
