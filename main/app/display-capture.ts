// Screen capture for the producer's "share screen" source. Chromium asks the app which surface to
// hand out; only our own page gets one (security-policy.ts decides), and it gets the primary screen:
// on macOS 15+ the system picker is used instead, which lets the user choose.
import { desktopCapturer } from 'electron';
import type { Session } from 'electron';
import { isDisplayCaptureAllowed } from './security-policy.js';
import type { TrustedOrigins } from './security-policy.js';

export function handleDisplayCapture(session: Session, trusted: TrustedOrigins): void {
  session.setDisplayMediaRequestHandler(
    (request, callback) => {
      const allowed = isDisplayCaptureAllowed(
        {
          frameUrl: request.frame?.url ?? null,
          isMainFrame: request.frame !== null && request.frame.parent === null,
          securityOrigin: request.securityOrigin,
          videoRequested: request.videoRequested,
          userGesture: request.userGesture,
        },
        trusted,
      );
      // An empty answer denies the request (getDisplayMedia rejects with NotAllowedError).
      if (!allowed) return callback({});
      desktopCapturer.getSources({ types: ['screen'] }).then(
        (sources) => callback(sources[0] ? { video: sources[0] } : {}),
        () => callback({}),
      );
    },
    { useSystemPicker: true },
  );
}
