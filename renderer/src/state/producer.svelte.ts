// The producer's media side: the chosen source and encoder settings, the captured stream (previewed
// before going live) and the running producer pipeline. It lives outside the views because the
// stream and the pipeline must survive the switch from the setup form to the live view.
import { captureMedia, startProducer, supportedVideoCodecs } from '../media/index.js';
import type { CaptureSource, EncoderSettings, ProducerPipeline, VideoCodecName } from '../media/api.js';
import { CODEC_PREFERENCE, DEFAULT_ENCODER } from './encoder-presets.js';
import { errorMessage } from './errors.js';
import { isEnded } from './phases.js';
import { studio } from './studio.svelte.js';
import { titleProblem } from './validation.js';

export type ProducerActivity = 'capturing' | 'starting' | 'stopping';

/** Settings the capture itself depends on: changing one needs a new stream. */
const CAPTURE_FIELDS: readonly (keyof EncoderSettings)[] = ['width', 'height', 'frameRate', 'audio'];

export class ProducerSession {
  source = $state<CaptureSource>('camera');
  /** Replaced as a whole: the pipeline gets a plain object, never a reactive proxy. */
  encoder = $state.raw<EncoderSettings>(DEFAULT_ENCODER);
  title = $state('');
  /** null while the supported codecs are being probed. */
  codecs = $state.raw<readonly VideoCodecName[] | null>(null);
  stream = $state.raw<MediaStream | null>(null);
  pipeline = $state.raw<ProducerPipeline | null>(null);
  activity = $state<ProducerActivity | null>(null);
  error = $state<string | null>(null);

  #detach: (() => void) | null = null;
  #codecProbe: Promise<void> | null = null;

  constructor() {
    // However a live session ends (stopped here, a core error), stop encoding and release the camera.
    studio.onStatus((status) => {
      if (isEnded(status.phase) && this.pipeline) this.#release();
    });
  }

  /** The stream to show: the pipeline's preview once live, the raw capture before. */
  get preview(): MediaStream | null {
    return this.pipeline?.preview ?? this.stream;
  }

  loadCodecs(): Promise<void> {
    this.#codecProbe ??= supportedVideoCodecs().then(
      (found) => {
        const codecs = CODEC_PREFERENCE.filter((codec) => found.includes(codec));
        this.codecs = codecs;
        const preferred = codecs[0];
        if (preferred && !codecs.includes(this.encoder.codec)) this.updateEncoder({ codec: preferred });
        if (codecs.length === 0) this.error = 'This system has no usable video encoder.';
      },
      (reason: unknown) => {
        this.codecs = [];
        this.error = `Could not probe the video encoders: ${errorMessage(reason)}`;
      },
    );
    return this.#codecProbe;
  }

  setSource(source: CaptureSource): void {
    if (source === this.source) return;
    this.source = source;
    this.#dropCapture();
  }

  updateEncoder(patch: Partial<EncoderSettings>): void {
    const next = { ...this.encoder, ...patch };
    const recapture = CAPTURE_FIELDS.some((field) => next[field] !== this.encoder[field]);
    this.encoder = next;
    if (recapture) this.#dropCapture();
  }

  /** Captures the chosen source to preview it before going live. */
  async startPreview(): Promise<void> {
    if (this.activity) return;
    this.error = null;
    this.activity = 'capturing';
    try {
      await this.#capture();
    } catch (reason) {
      this.error = `Could not capture the ${this.source}: ${errorMessage(reason)}`;
    } finally {
      this.activity = null;
    }
  }

  stopPreview(): void {
    if (!this.pipeline) this.#dropCapture();
  }

  /**
   * Capture (first, while the click still counts as a user gesture for screen capture), create the
   * broadcast, wait until it is live, then start encoding into the media channel.
   */
  async goLive(): Promise<void> {
    if (this.activity || this.pipeline) return;
    this.error = titleProblem(this.title);
    if (this.error) return;
    this.activity = 'capturing';
    try {
      const stream = await this.#capture();
      this.activity = 'starting';
      await studio.createBroadcast(this.title.trim());
      const status = await studio.waitForStatus(
        (current) => current.phase === 'live' && current.mediaNamespace !== null,
        (current) => isEnded(current.phase),
      );
      const pipeline = await startProducer({
        stream,
        settings: this.encoder,
        channel: studio.media,
        namespace: status.mediaNamespace ?? [],
      });
      if (isEnded(studio.status.phase)) {
        pipeline.stop();
        return;
      }
      this.pipeline = pipeline;
      this.#detach = studio.attachPipeline(pipeline);
    } catch (reason) {
      this.error = errorMessage(reason);
    } finally {
      this.activity = null;
    }
  }

  /** Ends the broadcast: media first (nothing more is sent), then the session. */
  async stop(): Promise<void> {
    if (this.activity === 'stopping') return;
    this.activity = 'stopping';
    this.error = null;
    this.#release();
    try {
      await studio.leaveBroadcast();
    } catch (reason) {
      this.error = `Could not end the broadcast cleanly: ${errorMessage(reason)}`;
    } finally {
      this.activity = null;
    }
  }

  async #capture(): Promise<MediaStream> {
    if (this.stream) return this.stream;
    const stream = await captureMedia(this.source, this.encoder);
    // The user may end a screen share from the browser's own bar: treat it like stopping the preview.
    for (const track of stream.getVideoTracks()) {
      track.addEventListener('ended', () => {
        if (this.stream === stream && !this.pipeline) this.#dropCapture();
      });
    }
    this.stream = stream;
    return stream;
  }

  #dropCapture(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }

  #release(): void {
    this.#detach?.();
    this.#detach = null;
    this.pipeline?.stop();
    this.pipeline = null;
    this.#dropCapture();
  }
}

export const producer = new ProducerSession();
