// `moq-studio demo`: relay + coordinator + producer + N viewers + a moderator on this machine,
// synthetic encrypted media for a while, one viewer removed, then a summary (`--json` for machines).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from '../broadcast/demo.js';
import type { DemoSummary } from '../broadcast/demo.js';
import { parseProtocol } from './member-commands.js';
import { positiveInteger, progressLine } from './output.js';

export const demoUsage = `Usage: moq-studio demo [--viewers 5] [--seconds 10] [--fps 30] [--frame-bytes 4000] [--protocol P] [--json] [--data-dir DIR]

  Starts an embedded relay and Coordination Service, a producer streaming synthetic
  SFrame-encrypted frames, a moderator approving every join and N viewers joining at once;
  removes one viewer part-way and prints what everyone saw. Exit status 0 when every viewer
  joined, decrypted media, and the removed viewer decrypted nothing sent after its removal.

  --viewers      number of viewers (default 5)
  --seconds      how long to stream (default 10)
  --fps          frames per second (default 30)
  --frame-bytes  size of each synthetic frame (default 4000)
  --protocol     security-group protocol: seed-002 (default) or epoch-counter (seeds 000/003)
  --json         print the summary as JSON only (no progress display)
  --data-dir     keep the members' databases here (default: a temporary folder, removed after)`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      viewers: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '10' },
      fps: { type: 'string', default: '30' },
      'frame-bytes': { type: 'string', default: '4000' },
      protocol: { type: 'string', default: 'seed-002' },
      json: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(demoUsage);
    return 0;
  }
  const viewers = positiveInteger('--viewers', values.viewers, 200);
  const seconds = positiveInteger('--seconds', values.seconds, 3600);
  const fps = positiveInteger('--fps', values.fps, 120);
  const frameBytes = positiveInteger('--frame-bytes', values['frame-bytes'], 1_000_000);
  const protocol = parseProtocol(values.protocol);
  const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'moq-studio-demo-'));
  const line = progressLine(process.stderr);
  try {
    const summary = await runDemo({
      dataDir,
      viewers,
      durationMs: seconds * 1000,
      fps,
      frameBytes,
      protocol,
      ...(values.json
        ? {}
        : {
            onProgress: (p) =>
              line.update(
                `${(p.elapsedMs / 1000).toFixed(1)} s · epoch ${p.epoch} · ${p.joined}/${viewers} viewers in · ` +
                  `${p.framesSent} frames sent · ${p.framesDecrypted} decrypted`,
              ),
          }),
    });
    line.done();
    console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    return summary.ok ? 0 : 1;
  } finally {
    if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  }
}

function formatSummary(summary: DemoSummary): string {
  const rows = summary.viewers.map(
    (v) =>
      `  ${v.name.padEnd(10)} join ${v.joinLatencyMs === null ? '   —' : `${v.joinLatencyMs} ms`.padStart(7)}  ` +
      `decrypted ${String(v.framesDecrypted).padStart(5)}  undecryptable ${String(v.framesUndecryptable).padStart(5)}` +
      (v.removed ? `  removed (decrypted after removal: ${v.framesDecryptedAfterRemoval})` : ''),
  );
  return [
    `group ${summary.groupId}: ${summary.epochs} epochs, members now: ${summary.members.join(', ')}`,
    `frames sent: ${summary.framesSent}`,
    ...rows,
    summary.failures.length > 0 ? `failures:\n  ${summary.failures.join('\n  ')}` : 'failures: none',
    summary.ok ? 'result: OK' : 'result: FAILED',
  ].join('\n');
}
