// Form checks that mirror the StudioBridge contract's validators (common/bridge/contract.ts), so the
// user reads a sentence next to the field instead of the core's "argument 0 does not match …".
// Each returns null when the value is acceptable, or the message to show.

const CONTROL_CHARACTERS = /\p{Cc}/u;
/** A fingerprint without its spaces: 160 bits in RFC 4648 base32 (see main/mls/identity.ts). */
const FINGERPRINT = /^[A-Z2-7]{32}$/;

export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter the name other members will see.';
  if (trimmed.length > 64) return 'Use at most 64 characters.';
  if (CONTROL_CHARACTERS.test(trimmed)) return 'Remove line breaks and control characters.';
  return null;
}

export function titleProblem(title: string): string | null {
  if (title.trim().length > 100) return 'Use at most 100 characters.';
  if (CONTROL_CHARACTERS.test(title)) return 'Remove line breaks and control characters.';
  return null;
}

export function inviteLinkProblem(link: string): string | null {
  const trimmed = link.trim();
  if (trimmed === '') return 'Paste the invite link the producer shared.';
  if (trimmed.length > 2048) return 'This is too long to be an invite link.';
  if (!/^[a-z][a-z0-9+.-]*:\S*$/i.test(trimmed)) return 'This does not look like an invite link.';
  return null;
}

function serviceUrlProblem(url: string, scheme: string, example: string): string | null {
  const trimmed = url.trim();
  if (trimmed === '') return `Enter a ${scheme}:// address, e.g. ${example}.`;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return `Not a valid address; expected e.g. ${example}.`;
  }
  if (parsed.protocol !== `${scheme}:`) return `Use a ${scheme}:// address.`;
  if (parsed.host === '') return 'The address needs a host and port.';
  if (trimmed.length > 2048) return 'Use at most 2048 characters.';
  return null;
}

export function relayUrlProblem(url: string): string | null {
  return serviceUrlProblem(url, 'moqt', 'moqt://relay.example:4443/?fp=…');
}

export function coordinatorUrlProblem(url: string): string | null {
  return serviceUrlProblem(url, 'https', 'https://coord.example:8443/?fp=…');
}

/**
 * One fingerprint a line (blank lines ignored), written the way members see them: 8 groups of 4
 * base32 characters. Lower case and missing spaces are accepted and normalized.
 */
export function parseAllowlist(text: string): { fingerprints: string[]; problem: string | null } {
  const fingerprints = text
    .split('\n')
    .map((line) => line.replace(/\s+/g, '').toUpperCase())
    .filter((line) => line !== '');
  const bad = fingerprints.findIndex((entry) => !FINGERPRINT.test(entry));
  if (bad >= 0) {
    return {
      fingerprints,
      problem: `Line ${bad + 1} is not a fingerprint (32 characters A–Z and 2–7, as a member list shows it).`,
    };
  }
  if (fingerprints.length > 1000) return { fingerprints, problem: 'At most 1000 fingerprints.' };
  return {
    fingerprints: fingerprints.map((entry) => entry.match(/.{4}/g)?.join(' ') ?? entry),
    problem: null,
  };
}
