// Entry point of the MoQT wire codec: codecs keyed by draft number and by ALPN, so the session
// picks the codec once from the negotiated ALPN. Only draft-18 exists today.
import { Draft18 } from './draft18/index.js';

export const codecs = { 18: Draft18 } as const;
export type DraftVersion = keyof typeof codecs;

/** The codec for a negotiated ALPN such as 'moqt-18', or undefined if we do not speak it. */
export function codecForAlpn(alpn: string): (typeof codecs)[DraftVersion] | undefined {
  for (const codec of Object.values(codecs)) if (codec.alpn === alpn) return codec;
  return undefined;
}

export const SUPPORTED_ALPNS: readonly string[] = Object.values(codecs).map((codec) => codec.alpn);

export * as draft18 from './draft18/index.js';
export { Draft18 };
export * from './error-codes.js';
export * from './errors.js';
