// The renderer's media pipeline in a real Chromium: fake camera → producer (WebCodecs, LOC, SFrame
// worker) → loopback media channel → viewers. Asserts behaviour, not timings: the keyed viewer
// draws changing frames, nothing leaves the producer before it has a send key, every object on the
// channel is SFrame ciphertext that a wrong key cannot open, a viewer with the wrong key shows
// nothing, a key change keeps the picture going, and H.264 / AV1 work when the encoder offers them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { contentSecurityPolicy } from '../../main/app/security-policy.js';
import { openTestPage, type OpenedPage } from '../support/browser-page.js';
import type { MediaPipelineTestApi, Snapshot } from '../support/media-pipeline-page.js';

type Api = MediaPipelineTestApi;

let opened: OpenedPage;
let page: Page;

/** Calls `window.mediaPipelineTest[method](...args)` in the page. */
function call<K extends keyof Api>(
  method: K,
  ...args: Parameters<Api[K]>
): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(
    ([name, params]) => {
      const api = (window as unknown as { mediaPipelineTest: Record<string, (...a: unknown[]) => unknown> })
        .mediaPipelineTest;
      return api[name]!(...params);
    },
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<Api[K]>>>;
}

/** Polls the page until `check` holds for a snapshot (generous: the machine may be busy). */
async function waitFor(
  what: string,
  check: (snapshot: Snapshot) => boolean,
  timeoutMs = 20_000,
): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: Snapshot | undefined;
  while (Date.now() < deadline) {
    last = await call('snapshot');
    if (check(last)) return last;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`timed out waiting until ${what}; last snapshot: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  opened = await openTestPage({
    entry: resolve(import.meta.dirname, '../support/media-pipeline-page.ts'),
    title: 'media pipeline',
    // The app's own policy: the SFrame worker must load under worker-src 'self'.
    csp: contentSecurityPolicy(),
  });
  page = opened.page;
  await page.waitForFunction(() => document.title === 'media pipeline ready', undefined, { timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  await page?.evaluate(() => (window as unknown as { mediaPipelineTest?: Api }).mediaPipelineTest?.stop());
  await opened?.close();
});

describe('media pipeline in Chromium', () => {
  it('offers VP8 always', async () => {
    const codecs = await call('codecs');
    expect(codecs[0]).toBe('vp8');
    console.info(`VideoEncoder codecs here: ${codecs.join(', ')}`);
  });

  it('encrypts, carries and decodes VP8 video; only the keyed viewer sees it', async () => {
    await call('start', 'vp8', true);

    // Keys are installed but no send epoch is chosen yet: frames are dropped and counted, none sent.
    const before = await waitFor(
      'the producer drops frames without a send key',
      (s) => s.producer.dropped >= 3,
    );
    expect(before.sent.video + before.sent.catalog + before.sent.audio).toBe(0);
    expect(before.producer.epoch).toBeNull();

    await call('useSendEpoch', 1);
    const first = await waitFor(
      'the viewer shows frames',
      (s) => s.viewer.frames >= 5 && s.viewerCanvas.distinctValues > 8 && s.sent.audio > 0,
      30_000,
    );
    const later = await waitFor(
      'the viewer picture changes',
      (s) => s.viewer.frames > first.viewer.frames + 5 && s.viewerCanvas.hash !== first.viewerCanvas.hash,
    );
    expect(later.producer.epoch).toBe(1);
    expect(later.viewer.epoch).toBe(1);
    expect(later.viewer.undecryptable).toBe(0);
    expect(later.viewer.latencyMs).not.toBeNull();
    expect(later.producer.frames).toBeGreaterThanOrEqual(later.viewer.frames);

    // The intruder received the same objects and could open none of them.
    expect(later.intruder.frames).toBe(0);
    expect(later.intruder.undecryptable).toBeGreaterThan(10);
    expect(later.intruder.epoch).toBeNull();
    expect(later.intruderCanvas.distinctValues).toBeLessThanOrEqual(1);

    const inspection = await call('inspect');
    const total = inspection.frames.catalog + inspection.frames.video + inspection.frames.audio;
    expect(inspection.frames.catalog).toBeGreaterThanOrEqual(1);
    expect(inspection.frames.audio).toBeGreaterThan(0);
    expect(inspection.openedWithBroadcastKey).toBe(total);
    expect(inspection.openedWithWrongKey).toBe(0);
    expect(inspection.videoKeyframes).toBeGreaterThanOrEqual(1);
    // The premise of the ciphertext check: decrypted keyframes really are VP8 keyframes...
    expect(inspection.vp8StartCodes).toBe(inspection.videoKeyframes);
    // ...and no object on the channel shows its chunk in clear.
    expect(inspection.plaintextVisible).toBe(0);
    expect(new Set(inspection.catalogCodecs)).toEqual(new Set(['vp8', 'opus']));
    expect(new Set(inspection.catalogSchemes)).toEqual(new Set(['sframe-mls']));
  }, 60_000);

  it('keeps the picture going across a key change', async () => {
    const before = await call('snapshot');
    await call('rekey', 2);
    const after = await waitFor(
      'the viewer decodes under epoch 2',
      (s) => s.producer.epoch === 2 && s.viewer.epoch === 2 && s.viewer.frames > before.viewer.frames + 5,
    );
    expect(after.viewer.undecryptable).toBe(0);
    expect(after.intruder.frames).toBe(0);
  }, 30_000);

  it('rejects forged, replayed, moved and truncated objects and keeps playing', async () => {
    const before = await call('snapshot');
    const forged = await call('injectHostile');
    // Each forgery is refused by SFrame (undecryptable) or, if the machine is so busy that the
    // viewer sheds load, dropped unread; none of them may be shown.
    const refused = (s: Snapshot) => s.viewer.undecryptable + (s.viewer.dropped - before.viewer.dropped);
    const after = await waitFor(
      'the viewer has refused the forgeries and still shows new frames',
      (s) => refused(s) >= forged + 3 && s.viewer.frames > before.viewer.frames + 5,
    );
    expect(after.viewer.undecryptable).toBeGreaterThan(0);
    expect(after.viewer.undecryptable).toBeLessThanOrEqual(forged);
    expect(after.viewer.epoch).toBe(2);
    await call('stop');
  }, 30_000);

  it('decodes H.264 and AV1 when the encoder offers them', async () => {
    const codecs = (await call('codecs')).filter((codec) => codec !== 'vp8');
    for (const codec of codecs) {
      await call('start', codec, false);
      await call('useSendEpoch', 1);
      const shown = await waitFor(`the viewer shows ${codec} frames`, (s) => s.viewer.frames >= 5, 30_000);
      expect(shown.viewer.undecryptable).toBe(0);
      expect(shown.intruder.frames).toBe(0);
      await call('stop');
    }
  }, 70_000);

  it('captures through the <video> fallback without MediaStreamTrackProcessor', async () => {
    await call('start', 'vp8', false, true);
    await call('useSendEpoch', 1);
    const shown = await waitFor('the viewer shows frames', (s) => s.viewer.frames >= 5, 30_000);
    expect(shown.viewer.undecryptable).toBe(0);
    await call('stop');
    expect(opened.errors).toEqual([]);
  }, 40_000);
});
