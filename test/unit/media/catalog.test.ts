// MSF catalog: what the producer builds, and the strict parser viewers run on decrypted catalog
// objects (wrong types, unsupported shapes, missing protection, key material, size bounds).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CatalogError,
  MAX_CATALOG_BYTES,
  buildCatalog,
  encodeCatalog,
  parseCatalog,
  type Catalog,
} from '../../../common/media/catalog.js';

const video = {
  name: 'video',
  codec: 'vp8',
  width: 1280,
  height: 720,
  framerate: 30,
  bitrate: 2_000_000,
  maxGopDuration: 2000,
  renderGroup: 1,
};
const audio = {
  name: 'audio',
  codec: 'opus',
  samplerate: 48000,
  channelConfig: '1',
  bitrate: 64000,
  renderGroup: 1,
};

const sample = (): Catalog =>
  buildCatalog({ namespace: ['moq-studio', 'media', 'g1'], generatedAt: 1746104606044, video, audio });

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
type Doc = Record<string, unknown> & { tracks: Record<string, unknown>[] };
const mutate = (change: (doc: Doc) => void) => {
  const doc = JSON.parse(JSON.stringify(sample())) as Doc;
  change(doc);
  return json(doc);
};
const rejects = (bytes: Uint8Array, path: string | RegExp) => {
  let error: unknown;
  try {
    parseCatalog(bytes);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(CatalogError);
  expect((error as CatalogError).path).toMatch(path);
};

describe('catalog building', () => {
  it('describes protected LOC tracks in MSF form', () => {
    expect(sample()).toEqual({
      version: 'draft-01',
      generatedAt: 1746104606044,
      tracks: [
        {
          ...video,
          namespace: 'moq-studio/media/g1',
          packaging: 'loc',
          isLive: true,
          role: 'video',
          encryptionScheme: 'sframe-mls',
          cipherSuite: 'aes-128-gcm-sha256',
        },
        {
          ...audio,
          namespace: 'moq-studio/media/g1',
          packaging: 'loc',
          isLive: true,
          role: 'audio',
          encryptionScheme: 'sframe-mls',
          cipherSuite: 'aes-128-gcm-sha256',
        },
      ],
    });
  });

  it('round-trips through bytes', () => {
    expect(parseCatalog(encodeCatalog(sample()))).toEqual(sample());
    const videoOnly = buildCatalog({ video });
    expect(parseCatalog(encodeCatalog(videoOnly))).toEqual(videoOnly);
  });

  it('round-trips random valid track parameters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16384 }),
        fc.integer({ min: 1, max: 16384 }),
        fc.double({ min: 0.5, max: 240, noNaN: true }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.string({ minLength: 1, maxLength: 50 }),
        (width, height, framerate, bitrate, name) => {
          const catalog = buildCatalog({ video: { ...video, name, width, height, framerate, bitrate } });
          expect(parseCatalog(encodeCatalog(catalog))).toEqual(catalog);
        },
      ),
    );
  });

  it('refuses to build an invalid catalog', () => {
    expect(() => buildCatalog({ video: { ...video, width: 0 } })).toThrow(CatalogError);
    expect(() => buildCatalog({ video: { ...video, codec: 'vp8; rm -rf' } })).toThrow(CatalogError);
    expect(() => buildCatalog({ video, audio: { ...audio, name: 'video' } })).toThrow(/declared twice/);
  });
});

describe('catalog parsing of hostile input', () => {
  it('rejects bytes that are not a JSON object', () => {
    rejects(new Uint8Array([0xff, 0xfe]), '$');
    rejects(json('x'), '$');
    rejects(new TextEncoder().encode('{"version":'), '$');
    rejects(json([]), '$');
    rejects(json(null), '$');
    rejects(new TextEncoder().encode('['.repeat(50_000)), '$');
  });

  it('bounds the document size and the track count', () => {
    rejects(new Uint8Array(MAX_CATALOG_BYTES + 1).fill(0x20), '$');
    rejects(
      mutate((doc) => {
        doc.tracks = Array.from({ length: 33 }, (_, i) => ({ ...doc.tracks[0], name: `v${i}` }));
      }),
      'tracks',
    );
  });

  it('requires the MSF version and an independent catalog', () => {
    rejects(
      mutate((doc) => (doc.version = 'draft-99')),
      'version',
    );
    rejects(
      mutate((doc) => delete doc.version),
      'version',
    );
    rejects(
      mutate((doc) => (doc.deltaUpdate = [])),
      'deltaUpdate',
    );
    rejects(
      mutate((doc) => (doc.tracks = {} as never)),
      'tracks',
    );
    rejects(
      mutate((doc) => (doc.generatedAt = -1)),
      'generatedAt',
    );
  });

  it('rejects wrong types and out-of-range values field by field', () => {
    const cases: [string, unknown][] = [
      ['name', ''],
      ['name', 5],
      ['name', 'x'.repeat(257)],
      ['namespace', 7],
      ['isLive', 'yes'],
      ['codec', ''],
      ['codec', 'vp8 '],
      ['codec', ['vp8']],
      ['bitrate', 0],
      ['bitrate', 1.5],
      ['bitrate', '1000'],
      ['width', 0],
      ['width', 16385],
      ['height', null],
      ['framerate', 0],
      ['framerate', Number.MAX_VALUE],
      ['maxGopDuration', -5],
      ['renderGroup', 'one'],
      ['cipherSuite', 'rot13'],
      ['role', 'subtitle'],
      ['packaging', 'cmaf'],
    ];
    for (const [field, value] of cases) {
      rejects(
        mutate((doc) => (doc.tracks[0]![field] = value)),
        `tracks[0].${field}`,
      );
    }
    rejects(
      mutate((doc) => (doc.tracks[1]!.samplerate = 44)),
      'tracks[1].samplerate',
    );
    rejects(
      mutate((doc) => (doc.tracks[1]!.channelConfig = '1\n2')),
      'tracks[1].channelConfig',
    );
    rejects(
      mutate((doc) => delete doc.tracks[1]!.channelConfig),
      'tracks[1].channelConfig',
    );
    rejects(
      mutate((doc) => (doc.tracks[0] = 'video' as never)),
      'tracks[0]',
    );
  });

  it('refuses unprotected tracks and key material in the catalog', () => {
    rejects(
      mutate((doc) => delete doc.tracks[0]!.encryptionScheme),
      'tracks[0].encryptionScheme',
    );
    rejects(
      mutate((doc) => (doc.tracks[0]!.encryptionScheme = 'moq-secure-objects')),
      /encryptionScheme/,
    );
    rejects(
      mutate((doc) => (doc.tracks[1]!.trackBaseKey = 'AAAA')),
      'tracks[1].trackBaseKey',
    );
    rejects(
      mutate((doc) => (doc.tracks[1]!.keyId = 'k')),
      'tracks[1].keyId',
    );
  });

  it('ignores unknown fields (MSF) and returns only the known ones', () => {
    const parsed = parseCatalog(
      mutate((doc) => {
        doc.custom = { nested: true };
        doc.tracks[0]!.lang = 'en';
        doc.tracks[0]!.__proto__ = { polluted: true };
      }),
    );
    expect(parsed).toEqual(sample());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws only CatalogError on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        try {
          parseCatalog(json(value));
        } catch (error) {
          expect(error).toBeInstanceOf(CatalogError);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseCatalog(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CatalogError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws only CatalogError on mutated valid catalogs', () => {
    const valid = encodeCatalog(sample());
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.nat(255), (index, value) => {
        const bytes = valid.slice();
        bytes[index] = value;
        try {
          parseCatalog(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CatalogError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
