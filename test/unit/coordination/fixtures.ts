// Test builders for the seed-002 bodies: well-formed RFC 9420 framing around dummy key material,
// plus a service/store harness on a temp SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContentType,
  MLS10,
  RequestType,
  WireFormat,
  concat,
  encodePrivateMessage,
  u16,
  u64,
  vec,
} from '../../../main/coordination/mls-wire.js';

const text = new TextEncoder();
const empty = new Uint8Array(0);

export function keyPackageMessage(identity = 'alice'): Uint8Array {
  const leafNode = concat(
    vec(new Uint8Array(32).fill(1)),
    vec(new Uint8Array(32).fill(2)),
    u16(1),
    vec(text.encode(identity)),
    vec(u16(1)),
    vec(concat(u16(1), u16(3))),
    vec(empty),
    vec(empty),
    vec(u16(1)),
    Uint8Array.of(1),
    u64(0n),
    u64(2n ** 63n),
    vec(empty),
    vec(new Uint8Array(64).fill(3)),
  );
  const keyPackage = concat(
    u16(MLS10),
    u16(1),
    vec(new Uint8Array(32).fill(4)),
    leafNode,
    vec(empty),
    vec(new Uint8Array(64)),
  );
  return concat(u16(MLS10), u16(WireFormat.keyPackage), keyPackage);
}

export function welcomeMessage(): Uint8Array {
  const secret = concat(vec(new Uint8Array(32).fill(5)), vec(new Uint8Array(32)), vec(new Uint8Array(48)));
  return concat(u16(MLS10), u16(WireFormat.welcome), u16(1), vec(secret), vec(new Uint8Array(100).fill(6)));
}

export function joinRequest(identity = 'alice'): Uint8Array {
  return concat(Uint8Array.of(RequestType.join), keyPackageMessage(identity));
}

export function leaveRequest(groupId: string, epoch = 0n): Uint8Array {
  return concat(
    Uint8Array.of(RequestType.leave),
    encodePrivateMessage({ groupId: text.encode(groupId), epoch, contentType: ContentType.proposal }),
  );
}

export function commitMessage(groupId: string, epoch: bigint, marker = 0): Uint8Array {
  return encodePrivateMessage({
    groupId: text.encode(groupId),
    epoch,
    contentType: ContentType.commit,
    ciphertext: new Uint8Array(24).fill(marker & 0xff),
  });
}

export function commitRequest(
  groupId: string,
  epoch: bigint,
  options: { welcome?: boolean; marker?: number } = {},
) {
  const commit = commitMessage(groupId, epoch, options.marker);
  return options.welcome
    ? concat(commit, Uint8Array.of(1), welcomeMessage())
    : concat(commit, Uint8Array.of(0));
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'moq-cs-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const SECRET = new Uint8Array(32).fill(42);

export async function post(
  base: string,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body: body as BodyInit, headers });
  const textBody = await response.text();
  return { status: response.status, json: textBody ? (JSON.parse(textBody) as Record<string, unknown>) : {} };
}

export const REQUEST = { 'content-type': 'application/mls-request' };
export const COMMIT = { 'content-type': 'application/mls-commit-request' };
export const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
