// Client entry point: `moqt://host:port/path?fp=<sha256>` → an established MoQT session over raw
// QUIC. Trust comes from the URL's pinned fingerprint, else from the caller's CA bundle, else the
// system store.
import { connectQuic, parseMoqtUrl, type TrustOptions } from '../quic/index.js';
import { MoqtSession, type SessionOptions } from './session/index.js';
import { quicWebTransport } from './session/quic-web-transport.js';

export interface ConnectMoqtOptions extends Omit<SessionOptions, 'role' | 'path' | 'authority'> {
  /** PEM CA bundle to trust when the URL pins no fingerprint. */
  readonly caPem?: string;
}

export async function connectMoqt(url: string, options: ConnectMoqtOptions = {}): Promise<MoqtSession> {
  const target = parseMoqtUrl(url);
  const trust: TrustOptions = target.fingerprint
    ? { kind: 'fingerprint', sha256: target.fingerprint }
    : options.caPem
      ? { kind: 'ca', ca: options.caPem }
      : { kind: 'system' };
  const transport = await connectQuic({ host: target.host, port: target.port, trust });
  try {
    return await MoqtSession.establish(quicWebTransport(transport), {
      ...options,
      role: 'client',
      path: target.path,
      authority: `${target.hostKind === 'ipv6' ? `[${target.host}]` : target.host}:${target.port}`,
    });
  } catch (error) {
    await transport.close(0, 'setup failed').catch(() => {});
    throw error;
  }
}
