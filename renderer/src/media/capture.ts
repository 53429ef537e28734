// Capture for the producer: the camera (and microphone) through getUserMedia, or a screen/window
// through getDisplayMedia with the microphone added when audio is on (system audio is not reliably
// offered, and a presenter talking over their screen is the common case).
import type { CaptureSource, EncoderSettings } from './api.js';

function videoConstraints(settings: EncoderSettings): MediaTrackConstraints {
  return {
    width: { ideal: settings.width },
    height: { ideal: settings.height },
    frameRate: { ideal: settings.frameRate },
  };
}

const MICROPHONE: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export async function captureMedia(source: CaptureSource, settings: EncoderSettings): Promise<MediaStream> {
  const devices = navigator.mediaDevices;
  if (!devices) throw new Error('media capture is not available (not a secure context?)');
  if (source === 'camera') {
    return devices.getUserMedia({
      video: videoConstraints(settings),
      audio: settings.audio ? MICROPHONE : false,
    });
  }
  if (source !== 'screen') throw new RangeError(`unknown capture source ${String(source)}`);
  const screen = await devices.getDisplayMedia({ video: videoConstraints(settings), audio: false });
  if (!settings.audio) return screen;
  try {
    const microphone = await devices.getUserMedia({ audio: MICROPHONE, video: false });
    return new MediaStream([...screen.getVideoTracks(), ...microphone.getAudioTracks()]);
  } catch (error) {
    for (const track of screen.getTracks()) track.stop();
    throw error;
  }
}
