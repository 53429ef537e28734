// The installed `moq-studio` binary, run as a user would run it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

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
});
