// Messages between a pipeline and its SFrame worker. Byte payloads travel as transferred
// ArrayBuffers (no copies, and the sender can no longer touch them); every request gets exactly one
// response with the same id, in request order.
import type { MediaTrack } from '../../../common/bridge/index.js';

export type SFrameRequest =
  | { readonly type: 'init'; readonly id: number; readonly namespace: readonly string[] }
  | {
      readonly type: 'install-keys';
      readonly id: number;
      readonly epoch: number;
      readonly baseKey: ArrayBuffer;
      readonly leafCount: number;
      readonly ownLeafIndex: number;
    }
  | {
      readonly type: 'send-epoch';
      readonly id: number;
      readonly epoch: number;
      readonly ownLeafIndex: number;
    }
  | {
      readonly type: 'protect' | 'unprotect';
      readonly id: number;
      readonly track: MediaTrack;
      readonly group: number;
      readonly object: number;
      readonly data: ArrayBuffer;
    };

export type SFrameResponse =
  | {
      readonly id: number;
      readonly ok: true;
      /** protect: ciphertext; unprotect: plaintext. */
      readonly data?: ArrayBuffer;
      /** protect: the send epoch used; unprotect: the epoch that decrypted. */
      readonly epoch?: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** SFrameErrorCode, or 'internal' for anything else. */
      readonly code: string;
      readonly message: string;
    };

/** The buffer of exactly these bytes, copying only when `bytes` is a view into something larger. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}
