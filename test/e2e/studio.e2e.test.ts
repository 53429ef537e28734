// The studio end to end (issue #6), in Debian's Chromium against the real Node core in browser mode:
// a producer goes live with the fake camera; a viewer joins with the invite link; the moderator (the
// producer) approves in the UI; the viewer's canvas shows changing decoded frames and both show the
// same epoch and verification code; removing the viewer turns its page to "removed", and what the
// producer sends from then on is in an epoch whose key the viewer never got. Meanwhile a spy MoQT subscriber on the relay sees only SFrame ciphertext. Each view
// is saved to test-artifacts/e2e/*.png.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionPhase } from '../../common/bridge/index.js';
import { decodeHeader } from '../../common/sframe/index.js';
import { connectMoqt } from '../../main/moqt/connect.js';
import type { MoqtObject, MoqtSession } from '../../main/moqt/session/index.js';
import { mediaTrackName } from '../../main/studio/broadcast-media.js';
import { parseInviteLink } from '../../main/studio/invite-link.js';
import { removeBuiltRenderer, startStudioBrowser } from '../support/studio-browser.js';
import type { StudioBrowser } from '../support/studio-browser.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));
/** Phases a page does not recover from on its own: waiting for anything else is over. */
const FINAL_PHASES: readonly SessionPhase[] = ['denied', 'removed', 'left', 'unreachable', 'error'];
const VP8_START_CODE = [0x9d, 0x01, 0x2a];

let studio: StudioBrowser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  studio = await startStudioBrowser();
}, 180_000);

afterAll(async () => {
  await studio?.close();
  await removeBuiltRenderer();
}, 60_000);

// ---- helpers ----

const byTestId = (scope: Page | Locator, id: string) => scope.locator(`[data-testid="${id}"]`);

async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** What the page says, for failure messages: its phase and visible text. */
async function describePage(page: Page): Promise<string> {
  const phase = await byTestId(page, 'phase')
    .first()
    .getAttribute('data-phase', { timeout: 1000 })
    .catch(() => 'none');
  const text = await page
    .locator('body')
    .innerText({ timeout: 1000 })
    .catch(() => '');
  return `phase ${phase}; page text: ${text.replace(/\s+/g, ' ').slice(0, 600)}`;
}

async function waitForPhase(page: Page, wanted: SessionPhase, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const phase = (await byTestId(page, 'phase')
      .first()
      .getAttribute('data-phase', { timeout: 5000 })
      .catch(() => null)) as SessionPhase | null;
    if (phase === wanted) return;
    if ((phase !== null && FINAL_PHASES.includes(phase)) || Date.now() > deadline) {
      throw new Error(`expected phase ${wanted}; ${await describePage(page)}`);
    }
    await page.waitForTimeout(200);
  }
}

/** Screenshots of the element, `count` of them `intervalMs` apart. */
async function canvasSamples(page: Page, count: number, intervalMs: number): Promise<Buffer[]> {
  const canvas = byTestId(page, 'viewer-canvas');
  const samples: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await page.waitForTimeout(intervalMs);
    samples.push(await canvas.screenshot({ timeout: 10_000 }));
  }
  return samples;
}

const distinct = (samples: Buffer[]) => new Set(samples.map((sample) => sample.toString('base64'))).size;

/**
 * A relay subscriber with no keys: subscribes to the broadcast's video track and keeps every object
 * it sees until stopped.
 */
async function spyOnVideo(relayUrl: string, groupId: string) {
  const session: MoqtSession = await connectMoqt(relayUrl);
  const objects: MoqtObject[] = [];
  let subscription;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      subscription = await session.subscribe(mediaTrackName(groupId, 'video'));
      break;
    } catch (error) {
      // The producer announces its media namespace as it goes live; retry until the relay routes it.
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const reading = (async () => {
    try {
      for await (const object of subscription) if (object.status === 'normal') objects.push(object);
    } catch {
      // The session closing ends the iteration with an error; what was read is what counts.
    }
  })();
  return {
    objects,
    async stop() {
      session.close(0, 'spy done');
      await reading;
    },
  };
}

// ---- the story ----

describe('MoQ Studio in Chromium (browser mode)', () => {
  it('producer goes live, viewer is approved and decodes, removed viewer decrypts nothing; the relay sees only ciphertext', async () => {
    // Producer: name, title, go live.
    const producer = await studio.openStudio('producer');
    await byTestId(producer, 'display-name-input').waitFor({ timeout: 30_000 });
    await snapshot(producer, '01-producer-home');
    await byTestId(producer, 'display-name-input').fill('Producer');
    await byTestId(producer, 'display-name-input').press('Tab');
    await byTestId(producer, 'title-input').fill('E2E show');
    await byTestId(producer, 'go-live-button').click();
    await waitForPhase(producer, 'live');
    const inviteLink = (await byTestId(producer, 'invite-link').innerText()).trim();
    expect(inviteLink).toMatch(/^moq-studio:join\?/);
    // The preview plays the fake camera.
    await expect
      .poll(
        () =>
          byTestId(producer, 'preview-video').evaluate(
            (video: HTMLVideoElement) => video.readyState >= 2 && video.videoWidth > 0,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    await snapshot(producer, '02-producer-live');

    const spy = await spyOnVideo(studio.stack.relayUrl, parseInviteLink(inviteLink).groupId);
    try {
      // Only the producer is a member so far: its own row.
      await expect.poll(() => byTestId(producer, 'member-row').count(), { timeout: 30_000 }).toBe(1);
      const producerFingerprint = await byTestId(producer, 'member-row')
        .first()
        .getAttribute('data-fingerprint');

      // Viewer: name, invite link, join; waits for approval.
      const viewer = await studio.openStudio('viewer');
      await byTestId(viewer, 'display-name-input').waitFor({ timeout: 30_000 });
      await byTestId(viewer, 'display-name-input').fill('Viewer');
      await byTestId(viewer, 'display-name-input').press('Tab');
      await byTestId(viewer, 'join-link-input').fill(inviteLink);
      await byTestId(viewer, 'join-button').click();
      await waitForPhase(viewer, 'waiting-approval');
      await snapshot(viewer, '03-viewer-waiting-approval');

      // Moderator approves in the producer's UI.
      const pending = byTestId(producer, 'pending-join');
      await pending.first().waitFor({ timeout: 30_000 });
      expect(await pending.count()).toBe(1);
      expect(await pending.first().innerText()).toContain('Viewer');
      await snapshot(producer, '04-producer-pending-join');
      await byTestId(pending.first(), 'approve-button').click();

      // Viewer watches: the canvas shows changing decoded frames.
      await waitForPhase(viewer, 'watching');
      await expect
        .poll(async () => distinct(await canvasSamples(viewer, 3, 700)), { timeout: 30_000, interval: 500 })
        .toBeGreaterThan(1);
      await snapshot(viewer, '05-viewer-watching');

      // Both see the same epoch and verification code (the same group).
      const shared = async (page: Page) => [
        (await byTestId(page, 'epoch').innerText()).trim(),
        (await byTestId(page, 'verification-code').innerText()).trim(),
      ];
      await expect
        .poll(async () => JSON.stringify(await shared(viewer)) === JSON.stringify(await shared(producer)), {
          timeout: 30_000,
        })
        .toBe(true);
      const [epochBefore] = await shared(producer);

      // The moderator removes the viewer: the member row that is not the producer's.
      await expect.poll(() => byTestId(producer, 'member-row').count(), { timeout: 30_000 }).toBe(2);
      const viewerRow = producer.locator(
        `[data-testid="member-row"]:not([data-fingerprint="${producerFingerprint ?? ''}"])`,
      );
      expect(await viewerRow.count()).toBe(1);
      await snapshot(producer, '06-producer-members');
      await byTestId(viewerRow, 'remove-button').click();
      const confirm = byTestId(viewerRow, 'confirm-remove-button');
      // The UI asks for a confirmation so a stray click cannot evict anyone.
      const asked = await confirm.waitFor({ state: 'visible', timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (asked) await confirm.click();

      await waitForPhase(viewer, 'removed');
      await snapshot(viewer, '07-viewer-removed');
      await expect.poll(() => byTestId(producer, 'member-row').count(), { timeout: 30_000 }).toBe(1);
      await expect
        .poll(async () => (await byTestId(producer, 'epoch').innerText()).trim(), { timeout: 30_000 })
        .not.toBe(epochBefore);
      await snapshot(producer, '08-producer-after-removal');

      // The producer keeps broadcasting, in an epoch whose key the removed viewer never received:
      // it can decrypt nothing sent after its removal (and its page shows nothing new).
      const sendEpochs = () =>
        studio
          .coreEvents('producer')
          .flatMap((event) => (event.name === 'mediaSendEpoch' ? [event.payload.epoch] : []));
      const viewerKeyEpochs = () =>
        studio
          .coreEvents('viewer')
          .flatMap((event) => (event.name === 'mediaKeys' ? [event.payload.epoch] : []));
      expect(viewerKeyEpochs().length).toBeGreaterThan(0); // it did hold keys while watching
      await expect
        .poll(() => Math.max(...sendEpochs()), { timeout: 30_000 })
        .toBeGreaterThan(Math.max(...viewerKeyEpochs()));
      const removalEpoch = Math.max(...sendEpochs());
      // sframe-mls KIDs end in the epoch's low 4 bits (E = 4): the relay carries the new epoch's objects.
      const inRemovalEpoch = () =>
        spy.objects.filter((object) => Number(decodeHeader(object.payload).kid & 0xfn) === removalEpoch % 16)
          .length;
      await expect.poll(inRemovalEpoch, { timeout: 30_000 }).toBeGreaterThan(5);
      expect(Math.max(...viewerKeyEpochs())).toBeLessThan(removalEpoch);
      if ((await byTestId(viewer, 'viewer-canvas').count()) > 0) {
        expect(distinct(await canvasSamples(viewer, 4, 700))).toBe(1);
      }
    } finally {
      await spy.stop();
    }

    // The relay carried only SFrame ciphertext: every payload starts with a valid SFrame header and
    // none is a VP8 keyframe in the clear (start code 9d 01 2a after the 3-byte frame tag).
    expect(spy.objects.length).toBeGreaterThan(10);
    for (const object of spy.objects) {
      const payload = object.payload;
      const header = decodeHeader(payload);
      expect(payload.length).toBeGreaterThan(header.length);
      expect([...payload.subarray(3, 6)]).not.toEqual(VP8_START_CODE);
    }
    expect(studio.pageErrors.filter((line) => !/favicon/.test(line))).toEqual([]);
  }, 300_000);
});
