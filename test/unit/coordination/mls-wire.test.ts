// The key-less MLS parsers: valid bodies, precise errors for each kind of damage, and fuzzing that
// proves hostile bytes only ever produce MlsWireError.
import { describe, expect, it } from 'vitest';
import {
  MlsWireError,
  concat,
  encodePrivateMessage,
  parseCommitRequest,
  parseRequest,
} from '../../../main/coordination/mls-wire.js';
import { commitRequest, joinRequest, leaveRequest, welcomeMessage } from './fixtures.js';

function errorOf(parse: () => unknown): MlsWireError {
  try {
    parse();
  } catch (error) {
    if (error instanceof MlsWireError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('mls-wire', () => {
  it('parses join, leave and commit requests', () => {
    const join = parseRequest(joinRequest());
    expect(join.type).toBe('join');
    const leave = parseRequest(leaveRequest('g1', 7n));
    expect(leave.type === 'leave' && leave.header.epoch).toBe(7n);
    const commit = parseCommitRequest(commitRequest('g1', 3n, { welcome: true }));
    expect(commit.header.epoch).toBe(3n);
    expect(new TextDecoder().decode(commit.header.groupId)).toBe('g1');
    expect(commit.welcome).toEqual(welcomeMessage());
    expect(parseCommitRequest(commitRequest('g1', 3n)).welcome).toBeUndefined();
  });

  it('names the field that is wrong', () => {
    expect(errorOf(() => parseRequest(Uint8Array.of(9))).field).toBe('request_type');
    const commit = commitRequest('g', 0n);
    expect(errorOf(() => parseCommitRequest(concat(commit, Uint8Array.of(0)))).field).toBe('commit_request');
    expect(errorOf(() => parseCommitRequest(commit.subarray(0, 10))).field).toMatch(/^commit\./);
    const wrongVersion = commit.slice();
    wrongVersion[1] = 2;
    expect(errorOf(() => parseCommitRequest(wrongVersion)).field).toBe('commit.version');
    const wrongFormat = commit.slice();
    wrongFormat[3] = 5;
    expect(errorOf(() => parseCommitRequest(wrongFormat)).field).toBe('commit.wire_format');
    const application = encodePrivateMessage({ groupId: new Uint8Array(1), epoch: 0n, contentType: 1 });
    expect(errorOf(() => parseCommitRequest(concat(application, Uint8Array.of(0)))).field).toBe(
      'commit.content_type',
    );
    expect(
      errorOf(() => parseCommitRequest(concat(commitRequest('g', 0n).subarray(0, -1), Uint8Array.of(2))))
        .field,
    ).toBe('welcome.present');
    // A welcome slot that holds a KeyPackage-format message.
    const badWelcome = concat(
      commitRequest('g', 0n).subarray(0, -1),
      Uint8Array.of(1),
      joinRequest().subarray(1),
    );
    expect(errorOf(() => parseCommitRequest(badWelcome)).field).toBe('welcome.wire_format');
    // Non-minimal varint: length 1 in two bytes.
    const nonMinimal = concat(commit.subarray(0, 4), Uint8Array.of(0x40, 0x01, 0x67), commit.subarray(6));
    expect(errorOf(() => parseCommitRequest(nonMinimal)).reason).toMatch(/minimal/);
    expect(errorOf(() => parseRequest(concat(joinRequest(), Uint8Array.of(1)))).field).toBe('request');
    const leaveAsCommit = concat(Uint8Array.of(2), commitRequest('g', 0n).subarray(0, -1));
    expect(errorOf(() => parseRequest(leaveAsCommit)).field).toBe('remove.content_type');
  });

  it('rejects every truncation of valid bodies', () => {
    for (const body of [joinRequest(), leaveRequest('grp'), commitRequest('grp', 1n, { welcome: true })]) {
      const parse = body[0] === 1 || body[0] === 2 ? parseRequest : parseCommitRequest;
      for (let length = 0; length < body.length; length++) {
        // Cutting exactly before a welcome flag still leaves a structure with a missing flag.
        expect(() => parse(body.subarray(0, length))).toThrow(MlsWireError);
      }
    }
  });

  it('survives fuzzing with only MlsWireError', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const bases = [joinRequest(), leaveRequest('fuzz'), commitRequest('fuzz', 9n, { welcome: true })];
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = bases[i % bases.length]!;
      const body = base.slice();
      const mutations = 1 + (random() % 4);
      for (let m = 0; m < mutations; m++) body[random() % body.length] = random() & 0xff;
      const cut = random() % 8 === 0 ? body.subarray(0, random() % body.length) : body;
      for (const parse of [parseRequest, parseCommitRequest]) {
        try {
          parse(cut);
          parsed++;
        } catch (error) {
          expect(error).toBeInstanceOf(MlsWireError);
        }
      }
    }
    // Random bytes too.
    for (let i = 0; i < 5000; i++) {
      const body = Uint8Array.from({ length: random() % 64 }, () => random() & 0xff);
      for (const parse of [parseRequest, parseCommitRequest]) {
        try {
          parse(body);
        } catch (error) {
          expect(error).toBeInstanceOf(MlsWireError);
        }
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
