// RFC 9420 interop test vectors (/work/shared/vectors/mls) run against what ts-mls exposes through its
// public API (its package "exports" hide the internal tree-math / key-schedule / secret-tree modules).
// Covered: crypto-basics.json (RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel
// verification, EncryptWithLabel decryption) for cipher suites 1 and 2, using the ciphersuite
// implementation that main/mls hands to ts-mls (suite 3 needs the optional @hpke/chacha20poly1305, not installed).
// Not covered (need API ts-mls does not export): tree-math, key-schedule, secret-tree, message-protection,
// welcome, tree-validation, treekem, tree-operations, transcript-hashes, psk_secret, messages,
// deserialization, passive-client-*.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMlsEnv } from '../../../main/mls/index.js';
import type { CiphersuiteImpl } from '../../../main/mls/index.js';
import { concat, deriveSecret, expandWithLabel, hex, toHex, u32, vec } from './mls-test-helpers.js';

const VECTORS = '/work/shared/vectors/mls';
const te = new TextEncoder();

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: {
    priv: string;
    pub: string;
    label: string;
    context: string;
    plaintext: string;
    kem_output: string;
    ciphertext: string;
  };
}

const SUITES: Record<
  number,
  'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' | 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256'
> = {
  1: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  2: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
};

const labelled = (label: string, data: Uint8Array): Uint8Array =>
  concat(vec(te.encode(`MLS 1.0 ${label}`)), vec(data));

const cryptoBasics = (
  JSON.parse(readFileSync(`${VECTORS}/crypto-basics.json`, 'utf8')) as CryptoBasics[]
).filter((v) => SUITES[v.cipher_suite] !== undefined);

describe('RFC 9420 vectors: crypto-basics.json', () => {
  it('has vectors for the covered suites', () => {
    expect(cryptoBasics.map((v) => v.cipher_suite).sort()).toEqual([1, 2]);
  });

  for (const v of cryptoBasics) {
    it(`cipher suite ${v.cipher_suite}`, async () => {
      const env = await createMlsEnv({ ciphersuite: SUITES[v.cipher_suite]!, provider: 'default' });
      const cs: CiphersuiteImpl = env.cipherSuite;

      const rh = v.ref_hash;
      expect(toHex(await cs.hash.digest(concat(vec(te.encode(rh.label)), vec(hex(rh.value)))))).toBe(rh.out);

      const ewl = v.expand_with_label;
      expect(toHex(await expandWithLabel(cs, hex(ewl.secret), ewl.label, hex(ewl.context), ewl.length))).toBe(
        ewl.out,
      );

      const ds = v.derive_secret;
      expect(toHex(await deriveSecret(cs, hex(ds.secret), ds.label))).toBe(ds.out);

      const dts = v.derive_tree_secret;
      expect(
        toHex(await expandWithLabel(cs, hex(dts.secret), dts.label, u32(dts.generation), dts.length)),
      ).toBe(dts.out);

      const swl = v.sign_with_label;
      const signContent = labelled(swl.label, hex(swl.content));
      expect(await cs.signature.verify(hex(swl.pub), signContent, hex(swl.signature))).toBe(true);
      const ownSig = await cs.signature.sign(hex(swl.priv), signContent);
      expect(await cs.signature.verify(hex(swl.pub), signContent, ownSig)).toBe(true);

      const enc = v.encrypt_with_label;
      const priv = await cs.hpke.importPrivateKey(hex(enc.priv));
      const pt = await cs.hpke.open(
        priv,
        hex(enc.kem_output),
        hex(enc.ciphertext),
        labelled(enc.label, hex(enc.context)),
        new Uint8Array(),
      );
      expect(toHex(pt)).toBe(enc.plaintext);
    });
  }
});
