// Test runner configuration: unit, integration and end-to-end tests run in Node against the real code.
// test/e2e/ is part of `npm test` (same include pattern); its files drive Chromium and set their own,
// longer per-test and hook timeouts where they need them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // One file at a time: the suite runs real QUIC, HTTP and PostgreSQL on loopback, and a CPU-heavy
    // file (the randomized MLS test) running beside them starves their event loops into UDP drops
    // and timeouts. On 2 cores the serial run is no slower than the parallel one.
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
