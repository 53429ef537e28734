// An MLS-Exporter-shaped function for profile tests: HKDF over a per-epoch secret, so each epoch
// (and each label) yields distinct, reproducible output. The real exporter comes from the MLS
// group manager; the SFrame profiles only ever see this function signature.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { MlsExporter } from '../../common/sframe/index.js';

export function testExporter(groupSecret: string, epoch: bigint): MlsExporter {
  const secret = new TextEncoder().encode(`${groupSecret}/epoch-${epoch}`);
  return (label, context, length) =>
    hkdf(sha256, secret, undefined, new Uint8Array([...new TextEncoder().encode(label), ...context]), length);
}
