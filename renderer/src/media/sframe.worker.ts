// The SFrame worker: one per pipeline, holding that pipeline's MediaCrypto (sframe-mls keys, WebCrypto
// AEAD). Requests are handled strictly one after another, so keys installed before a frame are in
// place when it is processed and responses leave in request order. Key material never leaves here.
import { webCryptoBackend } from '../../../common/sframe/backends/webcrypto.js';
import { SFrameError } from '../../../common/sframe/errors.js';
import { MediaCrypto } from './media-crypto.js';
import { ownBuffer, type SFrameRequest, type SFrameResponse } from './sframe-protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<SFrameRequest>) => void) | null;
  postMessage(message: SFrameResponse, transfer: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let crypto: MediaCrypto | undefined;
let queue: Promise<void> = Promise.resolve();

function cryptoState(): MediaCrypto {
  if (!crypto) throw new SFrameError('invalid-argument', 'worker not initialised');
  return crypto;
}

async function handle(request: SFrameRequest): Promise<SFrameResponse> {
  switch (request.type) {
    case 'init':
      crypto = new MediaCrypto(request.namespace, webCryptoBackend());
      return { id: request.id, ok: true };
    case 'install-keys':
      await cryptoState().installKeys({
        epoch: request.epoch,
        baseKey: new Uint8Array(request.baseKey),
        leafCount: request.leafCount,
        ownLeafIndex: request.ownLeafIndex,
      });
      new Uint8Array(request.baseKey).fill(0);
      return { id: request.id, ok: true };
    case 'send-epoch':
      cryptoState().useSendEpoch({ epoch: request.epoch, ownLeafIndex: request.ownLeafIndex });
      return { id: request.id, ok: true, epoch: request.epoch };
    case 'protect': {
      const { group, object, track } = request;
      const result = await cryptoState().protect(track, group, object, new Uint8Array(request.data));
      return { id: request.id, ok: true, data: ownBuffer(result.ciphertext), epoch: result.epoch };
    }
    case 'unprotect': {
      const { group, object, track } = request;
      const result = await cryptoState().unprotect(track, group, object, new Uint8Array(request.data));
      return { id: request.id, ok: true, data: ownBuffer(result.plaintext), epoch: result.epoch };
    }
    default:
      throw new SFrameError('invalid-argument', 'unknown request');
  }
}

function failure(id: number, error: unknown): SFrameResponse {
  if (error instanceof SFrameError) return { id, ok: false, code: error.code, message: error.message };
  return { id, ok: false, code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

scope.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    let response: SFrameResponse;
    try {
      response = await handle(request);
    } catch (error) {
      response = failure(request.id, error);
    }
    scope.postMessage(response, response.ok && response.data ? [response.data] : []);
  });
};
