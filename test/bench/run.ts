// `npm run bench`: runs every benchmark and prints Markdown tables with ratios against baselines
// measured in the same run. Copy the output into BENCHMARKS.md when recording results.
import os from 'node:os';
import { runCoordinationBench } from './coordination.bench.js';
import { runMlsGroupsBench } from './mls-groups.bench.js';
import { runRelayBench } from './relay.bench.js';
import { runSFrameBench } from './sframe.bench.js';

const suites: Record<string, () => Promise<string>> = {
  sframe: runSFrameBench,
  relay: runRelayBench,
  coordination: runCoordinationBench,
  mls: runMlsGroupsBench,
};

const only = process.argv.slice(2);
const selected = only.length > 0 ? only : Object.keys(suites);
for (const name of selected) {
  if (!suites[name]) {
    console.error(`unknown benchmark "${name}"; available: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}

console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}\n`);
for (const name of selected) console.log(`${await suites[name]!()}\n`);
