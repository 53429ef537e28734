// Invite links round-trip and refuse anything that is not exactly a MoQ Studio invite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInviteLink, InviteLinkError, parseInviteLink } from '../../../main/studio/invite-link.js';

const invite = {
  groupId: 'friday-show-0a1b2c3d4e',
  relayUrl: 'moqt://127.0.0.1:4443/?fp=ab12',
  coordinatorUrl: 'https://127.0.0.1:4444/?fp=cd34',
};

describe('invite links', () => {
  it('round-trip, with and without an invitee token', () => {
    expect(parseInviteLink(formatInviteLink(invite))).toEqual(invite);
    expect(parseInviteLink(`  ${formatInviteLink({ ...invite, token: 't.o-k' })}\n`)).toEqual({
      ...invite,
      token: 't.o-k',
    });
  });

  it.each([
    ['https://example.invalid/join', /not a MoQ Studio invite/],
    ['moq-studio:join?v=2&group=a', /another version/],
    ['moq-studio:join?v=1&group=../../etc', /no valid broadcast/],
    ['moq-studio:join?v=1&group=ok&relay=https://a/&coordinator=https://b/', /relay address must use moqt/],
    ['moq-studio:join?v=1&group=ok&relay=moqt://a/&coordinator=file:///x', /coordinator address must use/],
    ['moq-studio:join?v=1&group=ok&relay=moqt://a/', /no valid coordinator/],
  ])('refuses %s', (link, reason) => {
    expect(() => parseInviteLink(link)).toThrow(reason);
  });

  it('never throws anything but InviteLinkError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseInviteLink(`moq-studio:join?${text}`);
        } catch (error) {
          expect(error).toBeInstanceOf(InviteLinkError);
        }
      }),
    );
  });
});
