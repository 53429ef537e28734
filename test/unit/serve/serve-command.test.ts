// `moq-studio serve` argument handling: help, listed in the CLI's help, and clear one-line refusals
// for flags that cannot work (checked before anything starts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, usage } from '../../../main/cli.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (out += parts.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation(
    (...parts: unknown[]) => void (err += parts.join(' ') + '\n'),
  );
  const code = await main(['serve', ...args]);
  return { code, out, err };
}

describe('moq-studio serve', () => {
  it('is in the CLI help and has its own', async () => {
    expect(usage()).toMatch(/^ {2}serve +Run the studio in a browser/m);
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('--relay URL --coordinator URL');
  });

  it('refuses a bad port, a lone --relay and a non-https coordinator', async () => {
    expect((await run(['--port', '70000'])).err).toContain('--port: 70000 is not a TCP port');
    expect((await run(['--port', '-1'])).code).toBe(1);
    expect((await run(['--relay', 'moqt://127.0.0.1:4443/'])).err).toContain(
      '--relay and --coordinator go together',
    );
    const plain = await run(['--relay', 'moqt://127.0.0.1:4443/', '--coordinator', 'http://127.0.0.1:1/']);
    expect(plain.err).toContain('is not an https:// URL');
    expect((await run(['--bogus'])).code).toBe(1);
  });
});
