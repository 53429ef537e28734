// Raw frames out of a MediaStreamTrack. Chromium (and so Electron) has MediaStreamTrackProcessor on
// the main thread; where it is missing, video falls back to a hidden <video> element sampled with
// requestVideoFrameCallback (or a timer). Audio needs the processor: there is no cheap fallback
// that yields AudioData.

interface TrackProcessor<T> {
  readonly readable: ReadableStream<T>;
}
type TrackProcessorConstructor = new (init: {
  track: MediaStreamTrack;
  maxBufferSize?: number;
}) => TrackProcessor<VideoFrame | AudioData>;

function processorConstructor(): TrackProcessorConstructor | undefined {
  return (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor;
}

export function hasTrackProcessor(): boolean {
  return processorConstructor() !== undefined;
}

export interface TrackReader {
  stop(): void;
}

function readProcessor<T extends VideoFrame | AudioData>(
  track: MediaStreamTrack,
  onValue: (value: T) => void,
  maxBufferSize: number,
): TrackReader {
  const Processor = processorConstructor();
  if (!Processor) throw new Error('MediaStreamTrackProcessor is not available');
  const reader = new Processor({
    track,
    maxBufferSize,
  }).readable.getReader() as ReadableStreamDefaultReader<T>;
  let stopped = false;
  void (async () => {
    for (;;) {
      let result: ReadableStreamReadResult<T>;
      try {
        result = await reader.read();
      } catch {
        return; // the track ended or the reader was cancelled
      }
      if (result.done) return;
      if (stopped) {
        result.value.close();
        return;
      }
      onValue(result.value);
    }
  })();
  return {
    stop() {
      stopped = true;
      void reader.cancel().catch(() => {});
    },
  };
}

/** Calls `onFrame` with each captured frame; the callee owns (and must close) it. */
export function readVideoFrames(
  track: MediaStreamTrack,
  frameRate: number,
  onFrame: (frame: VideoFrame) => void,
): TrackReader {
  // A small buffer: when encoding falls behind, old frames are skipped rather than queued.
  if (hasTrackProcessor()) return readProcessor<VideoFrame>(track, onFrame, 2);
  return readVideoElement(track, frameRate, onFrame);
}

/** Calls `onData` with each captured audio buffer; the callee owns (and must close) it. */
export function readAudioData(track: MediaStreamTrack, onData: (data: AudioData) => void): TrackReader {
  return readProcessor<AudioData>(track, onData, 10);
}

function readVideoElement(
  track: MediaStreamTrack,
  frameRate: number,
  onFrame: (frame: VideoFrame) => void,
): TrackReader {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grab = () => {
    if (stopped) return;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) {
      try {
        onFrame(new VideoFrame(video, { timestamp: Math.round(performance.now() * 1000) }));
      } catch {
        // No frame available at this instant; the next callback tries again.
      }
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(grab);
    else timer = setTimeout(grab, 1000 / Math.max(1, frameRate));
  };
  void video.play().catch(() => {});
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      video.pause();
      video.srcObject = null;
    },
  };
}
