// The pipeline's handle on its SFrame worker: promise-based requests with transferred buffers.
// Responses come back in request order (the worker is serial), so a producer that awaits its
// protect calls in order also sends its objects in order.
import type { MediaKeyMaterial, MediaSendEpoch, MediaTrack } from '../../../common/bridge/index.js';
import type { SFrameRequest, SFrameResponse } from './sframe-protocol.js';

type Request = SFrameRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class SFrameFailure extends Error {
  override readonly name = 'SFrameFailure';
  constructor(
    /** SFrameErrorCode ('no-send-key', 'authentication-failed', …) or 'internal' / 'terminated'. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CryptoResult {
  readonly data: Uint8Array;
  readonly epoch: number;
}

export class SFrameWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: SFrameResponse) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(namespace: readonly string[]) {
    this.worker = new Worker(new URL('./sframe.worker.ts', import.meta.url), {
      type: 'module',
      name: 'sframe',
    });
    this.worker.onmessage = (event: MessageEvent<SFrameResponse>) => {
      const entry = this.pending.get(event.data.id);
      this.pending.delete(event.data.id);
      entry?.resolve(event.data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.terminate(`SFrame worker failed: ${event.message}`);
    };
    void this.request({ type: 'init', namespace: [...namespace] }, []);
  }

  /** Number of requests the worker has not answered yet (a producer backs off when this grows). */
  get backlog(): number {
    return this.pending.size;
  }

  async installKeys(material: MediaKeyMaterial): Promise<void> {
    const { epoch, leafCount, ownLeafIndex } = material;
    const baseKey = material.baseKey.slice().buffer;
    await this.expect(
      this.request({ type: 'install-keys', epoch, leafCount, ownLeafIndex, baseKey }, [baseKey]),
    );
  }

  async useSendEpoch(send: MediaSendEpoch): Promise<void> {
    await this.expect(
      this.request({ type: 'send-epoch', epoch: send.epoch, ownLeafIndex: send.ownLeafIndex }, []),
    );
  }

  /** Encrypts `data` (its buffer is transferred: the caller must not reuse it). */
  protect(track: MediaTrack, group: number, object: number, data: ArrayBuffer): Promise<CryptoResult> {
    return this.crypt({ type: 'protect', track, group, object, data });
  }

  /** Decrypts `data` (its buffer is transferred: the caller must not reuse it). */
  unprotect(track: MediaTrack, group: number, object: number, data: ArrayBuffer): Promise<CryptoResult> {
    return this.crypt({ type: 'unprotect', track, group, object, data });
  }

  terminate(reason = 'pipeline stopped'): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.terminate();
    for (const [id, entry] of this.pending)
      entry.resolve({ id, ok: false, code: 'terminated', message: reason });
    this.pending.clear();
  }

  private async crypt(request: Extract<Request, { data: ArrayBuffer }>): Promise<CryptoResult> {
    const response = await this.expect(this.request(request, [request.data]));
    if (!response.data || response.epoch === undefined)
      throw new SFrameFailure('internal', 'empty worker response');
    return { data: new Uint8Array(response.data), epoch: response.epoch };
  }

  private async expect(pending: Promise<SFrameResponse>) {
    const response = await pending;
    if (!response.ok) throw new SFrameFailure(response.code, response.message);
    return response;
  }

  private request(request: Request, transfer: Transferable[]): Promise<SFrameResponse> {
    const id = this.nextId++;
    if (this.closed)
      return Promise.resolve({ id, ok: false, code: 'terminated', message: 'worker terminated' });
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ ...request, id } as SFrameRequest, transfer);
    });
  }
}
