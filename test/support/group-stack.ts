// Shared by the security-group integration tests: a real relay + Coordination Service on loopback
// (HTTPS, pinned certificate) and members, each with its own data folder, SQLite file and session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openMember } from '../../main/groups/member.js';
import type { Member, MemberOptions } from '../../main/groups/member.js';
import type { SecurityGroupEvent } from '../../main/groups/security-group.js';
import { exportSecret } from '../../main/mls/index.js';
import type { MlsEnv } from '../../main/mls/index.js';
import { createMlsEnv } from '../../main/mls/index.js';
import { startLocalStack } from '../../main/local-stack.js';
import type { LocalStack } from '../../main/local-stack.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];

export function useGroupStackCleanup(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  });
}

export function tempFolder(): string {
  const path = mkdtempSync(join(tmpdir(), 'moq-group-'));
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

export async function groupStack(): Promise<LocalStack> {
  const stack = await startLocalStack({ dataDir: tempFolder() });
  cleanups.push(() => stack.close());
  return stack;
}

export interface TestMember extends Member {
  readonly name: string;
  readonly dataDir: string;
  readonly events: SecurityGroupEvent[];
}

export async function member(
  stack: LocalStack,
  name: string,
  options: Partial<MemberOptions> = {},
): Promise<TestMember> {
  const dataDir = options.dataDir ?? tempFolder();
  const events: SecurityGroupEvent[] = [];
  const opened = await openMember({
    groupId: 'studio',
    displayName: name,
    relayUrl: stack.relayUrl,
    coordinatorUrl: stack.coordinatorUrl,
    approval: { kind: 'open' },
    batchWindowMs: 20,
    joinTimeoutMs: 30_000,
    ...options,
    dataDir,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  cleanups.push(() => opened.close());
  return { ...opened, name, dataDir, events };
}

let env: Promise<MlsEnv> | undefined;
/** A member's exporter output for its current epoch (hex), to compare members. */
export async function exporterOf(m: Member): Promise<string> {
  env ??= createMlsEnv();
  const state = m.group.mlsState;
  if (!state) throw new Error('not in the group');
  return Buffer.from(await exportSecret(await env, state, 'moq-studio test', new Uint8Array(), 32)).toString(
    'hex',
  );
}
