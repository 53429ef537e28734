// Epoch acknowledgements over MoQ (DAVE-style "ready" acks): once a member has installed a new
// epoch's media keys it publishes an ack on its own track, and a sender switches encryption to that
// epoch as soon as every member has acked — instead of waiting out the scheduler's timeout, which
// left a joiner without a decryptable frame for that long. Each ack names the member's leaf and
// carries a MAC under a key exported from that very epoch, so a relay or anyone outside the group
// cannot forge one; a member could ack for another, but the worst an early ack does is an early
// switch (a moment of undecryptable frames for that member), never a key leaving the group.
//
// Wire: namespace (moq-studio, acks, <group>, <party id>), track "ack", one MoQ group per epoch,
// object 0, payload = leaf index (u32 BE) ‖ HMAC-SHA256(ack key, "ack" ‖ epoch u64 BE)[0..16],
// ack key = MLS-Exporter("moq-studio epoch ack", leaf index u32 BE, 32).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FullTrackName, TrackNamespace } from '../../common/codec/track-name.js';
import type { MoqtObject, MoqtSessionApi, RequestHandler } from '../moqt/session/api.js';
import { followTrack } from '../groups/moq-tracks.js';
import { PartyWatcher } from '../groups/party-watcher.js';
import { epochOf, exportSecret, leafIndexOf } from '../mls/index.js';
import type { ClientState, MlsEnv } from '../mls/index.js';
import { TrackPublisher } from './track-publisher.js';

const te = new TextEncoder();
const ACK_LABEL = 'moq-studio epoch ack';
const MAC_BYTES = 16;
const ACK_BYTES = 4 + MAC_BYTES;
/** Acks for epochs this member has not reached yet, kept until it does (bounded: they are hostile input). */
const MAX_EARLY_ACKS = 256;

function ackPrefix(groupId: string): TrackNamespace {
  return ['moq-studio', 'acks', groupId].map((field) => te.encode(field));
}

function ackTrack(groupId: string, partyId: string): FullTrackName {
  return { namespace: [...ackPrefix(groupId), te.encode(partyId)], name: te.encode('ack') };
}

async function ackMac(env: MlsEnv, state: ClientState, leaf: number): Promise<Uint8Array> {
  const context = new Uint8Array(4);
  new DataView(context.buffer).setUint32(0, leaf);
  const key = await exportSecret(env, state, ACK_LABEL, context, 32);
  const message = new Uint8Array(11);
  message.set(te.encode('ack'));
  new DataView(message.buffer).setBigUint64(3, epochOf(state));
  return createHmac('sha256', key).update(message).digest().subarray(0, MAC_BYTES);
}

/** The ack payload for the epoch `state` is in, from this member's leaf. */
export async function encodeAck(env: MlsEnv, state: ClientState): Promise<Uint8Array> {
  const leaf = leafIndexOf(state);
  const payload = new Uint8Array(ACK_BYTES);
  new DataView(payload.buffer).setUint32(0, leaf);
  payload.set(await ackMac(env, state, leaf), 4);
  return payload;
}

/** The leaf an ack for the epoch `state` is in comes from, or undefined when it does not verify. */
export async function verifyAck(
  env: MlsEnv,
  state: ClientState,
  payload: Uint8Array,
): Promise<number | undefined> {
  if (payload.length !== ACK_BYTES) return undefined;
  const leaf = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
  if (leaf >= Math.ceil((state.ratchetTree.length + 1) / 2)) return undefined;
  const expected = await ackMac(env, state, leaf);
  return timingSafeEqual(expected, payload.subarray(4)) ? leaf : undefined;
}

/** This member's ack track: a request handler for it and the acks it publishes. */
export class EpochAckPublisher {
  /** Random per connection: acks are tied to a leaf by their MAC, not by who published them. */
  readonly partyId = randomBytes(16).toString('hex');
  private readonly track: TrackPublisher;
  private lastEpoch: bigint | undefined;

  constructor(
    private readonly groupId: string,
    private readonly env: MlsEnv,
  ) {
    this.track = new TrackPublisher(ackTrack(groupId, this.partyId));
  }

  /** Answers SUBSCRIBE/FETCH for the ack track; every other request goes to `next`. */
  handler(next: RequestHandler = {}): RequestHandler {
    return this.track.handler(next);
  }

  async announce(session: MoqtSessionApi): Promise<void> {
    await session.publishNamespace(this.track.track.namespace);
  }

  /** Acks the epoch `state` is in (once per epoch). */
  async publish(state: ClientState): Promise<void> {
    const epoch = epochOf(state);
    if (this.lastEpoch !== undefined && epoch <= this.lastEpoch) return;
    this.lastEpoch = epoch;
    await this.track.publish(epoch, 0n, await encodeAck(this.env, state));
  }

  close(): void {
    this.track.close();
  }
}

/** A sender's view of the acks: follows every member's ack track and reports verified acks. */
export class EpochAckListener {
  private readonly watcher: PartyWatcher;
  private readonly early: MoqtObject[] = [];
  private closed = false;

  constructor(
    private readonly session: MoqtSessionApi,
    private readonly groupId: string,
    private readonly env: MlsEnv,
    private readonly currentState: () => ClientState | undefined,
    private readonly onAck: (epoch: bigint, leafIndex: number) => void,
    warn: (message: string) => void,
  ) {
    this.watcher = new PartyWatcher(
      session,
      ackPrefix(groupId),
      (id) =>
        followTrack(
          this.session,
          ackTrack(this.groupId, id),
          'latest-group',
          (object) => void this.check(object),
          warn,
        ),
      warn,
    );
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  /** The group reached a new epoch: acks that arrived before it can be checked now. */
  onEpoch(): void {
    for (const object of this.early.splice(0)) void this.check(object);
  }

  close(): void {
    this.closed = true;
    this.watcher.close();
    this.early.length = 0;
  }

  private async check(object: MoqtObject): Promise<void> {
    const state = this.currentState();
    if (this.closed || !state) return;
    const epoch = epochOf(state);
    if (object.groupId > epoch) {
      if (this.early.length < MAX_EARLY_ACKS) this.early.push(object);
      return;
    }
    if (object.groupId < epoch) return; // an old epoch's ack changes nothing any more
    const leaf = await verifyAck(this.env, state, object.payload).catch(() => undefined);
    if (leaf !== undefined && !this.closed) this.onAck(epoch, leaf);
  }
}
