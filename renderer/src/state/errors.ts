// Turns whatever a command or the media pipeline rejected with into a sentence for the user.

/** Electron wraps errors crossing IPC as "Error invoking remote method '<channel>': Error: …". */
const IPC_PREFIX = /^Error invoking remote method '[^']*': (?:\w*Error: )?/;

export function errorMessage(reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  return text.replace(IPC_PREFIX, '') || 'Unknown error';
}
