// Invite links: everything a viewer needs to ask to join one broadcast — the security group, the
// relay and the Coordination Service (with their pinned certificate fingerprints), and an invitee
// token when the group is invite-only. A link grants no access by itself: a moderator still admits
// the requester by its verified identity.
//   moq-studio:join?v=1&group=<id>&relay=<moqt url>&coordinator=<https url>[&token=<invitee token>]

export interface Invite {
  readonly groupId: string;
  readonly relayUrl: string;
  readonly coordinatorUrl: string;
  readonly token?: string;
}

export class InviteLinkError extends Error {
  override readonly name = 'InviteLinkError';
}

const PREFIX = 'moq-studio:join?';
const GROUP_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function formatInviteLink(invite: Invite): string {
  const params = new URLSearchParams({
    v: '1',
    group: invite.groupId,
    relay: invite.relayUrl,
    coordinator: invite.coordinatorUrl,
  });
  if (invite.token) params.set('token', invite.token);
  return PREFIX + params.toString();
}

export function parseInviteLink(link: string): Invite {
  const trimmed = link.trim();
  if (!trimmed.startsWith(PREFIX))
    throw new InviteLinkError('not a MoQ Studio invite link (moq-studio:join?…)');
  const params = new URLSearchParams(trimmed.slice(PREFIX.length));
  if (params.get('v') !== '1')
    throw new InviteLinkError('this invite link is for another version of MoQ Studio');
  const groupId = params.get('group') ?? '';
  if (!GROUP_ID.test(groupId)) throw new InviteLinkError('the invite link names no valid broadcast');
  const relayUrl = requireUrl(params.get('relay'), ['moqt:'], 'relay');
  const coordinatorUrl = requireUrl(params.get('coordinator'), ['https:', 'http:'], 'coordinator');
  const token = params.get('token');
  return { groupId, relayUrl, coordinatorUrl, ...(token ? { token } : {}) };
}

function requireUrl(value: string | null, protocols: readonly string[], what: string): string {
  let url: URL;
  try {
    url = new URL(value ?? '');
  } catch {
    throw new InviteLinkError(`the invite link has no valid ${what} address`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new InviteLinkError(`the invite link's ${what} address must use ${protocols.join(' or ')}`);
  }
  return value as string;
}
