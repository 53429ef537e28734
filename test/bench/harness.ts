// Minimal benchmark harness: runs a candidate and its baseline in alternating rounds (so machine
// load affects both alike) and reports medians and their ratio. No wall-clock assertions here —
// benchmarks only print; tests assert behaviour.
import { performance } from 'node:perf_hooks';

export type Operation = () => unknown;

/** Runs `operation` repeatedly for about `durationMs`; returns operations per second. */
export async function measure(operation: Operation, durationMs: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 16; i++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    count += 16;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Comparison {
  readonly candidate: number;
  readonly baseline: number;
  readonly ratio: number;
}

/** Alternates candidate and baseline for `rounds` rounds; compares the medians. */
export async function compare(
  candidate: Operation,
  baseline: Operation,
  rounds = 5,
  durationMs = 200,
): Promise<Comparison> {
  await measure(candidate, 50);
  await measure(baseline, 50);
  const candidateRates: number[] = [];
  const baselineRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    candidateRates.push(await measure(candidate, durationMs));
    baselineRates.push(await measure(baseline, durationMs));
  }
  const c = median(candidateRates);
  const b = median(baselineRates);
  return { candidate: c, baseline: b, ratio: c / b };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(cells[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}
