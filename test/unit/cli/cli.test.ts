// The installed `moq-studio` binary, run as a user would run it.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { verifyRelayToken } from '../../../main/relay/auth.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../bin/moq-studio.mjs', import.meta.url));

describe('moq-studio CLI', () => {
  it('prints help listing its commands', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toMatch(/Usage: moq-studio <command>/);
    expect(stdout).toMatch(/version/);
  });

  it('prints the package version', async () => {
    const { stdout } = await run(process.execPath, [bin, '--version']);
    expect(stdout.trim()).toMatch(/^moq-studio \d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command with exit code 2 and the usage', async () => {
    const failure = await run(process.execPath, [bin, 'frobnicate']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('lists the service commands and explains each one', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    for (const command of ['relay', 'relay-token', 'coordinator']) expect(stdout).toContain(command);
    for (const command of ['relay', 'coordinator', 'relay-token']) {
      const help = await run(process.execPath, [bin, command, '--help']);
      expect(help.stdout).toMatch(new RegExp(`Usage: moq-studio ${command}`));
    }
  });

  it('mints relay tokens the relay accepts, and refuses bad flags clearly', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'moq-cli-'));
    const secretFile = path.join(dir, 'secret.bin');
    const secret = new Uint8Array(32).fill(3);
    await writeFile(secretFile, secret);
    const { stdout } = await run(process.execPath, [
      bin,
      'relay-token',
      '--secret-file',
      secretFile,
      '--role',
      'publish',
      '--prefix',
      'studio/show',
      '--ttl',
      '60',
    ]);
    const verdict = verifyRelayToken(secret, new TextEncoder().encode(stdout.trim()), Date.now() / 1000);
    expect(verdict).toMatchObject({ ok: true });

    const failure = await run(process.execPath, [bin, 'relay', '--port', 'seventy']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/--port: seventy is not a UDP port/);
  });
});
