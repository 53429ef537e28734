// The relay as a network service: a QUIC listener whose connections become server-role MoQT
// sessions handled by one Relay. Used by `moq-studio relay` and embedded by the studio.
import { listenQuic, type QuicListener } from '../quic/index.js';
import { MoqtSession } from '../moqt/session/index.js';
import { quicWebTransport } from '../moqt/session/quic-web-transport.js';
import { Relay, type RelayOptions } from './relay.js';

export interface RelayServerOptions extends RelayOptions {
  readonly host: string;
  readonly port: number;
  readonly certificate: { readonly certPem: string; readonly keyPem: string };
  /** Called for sessions that fail SETUP (bad peer); the relay keeps running. */
  readonly onSessionError?: (error: unknown) => void;
}

export interface RelayServer {
  readonly relay: Relay;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const listener: QuicListener = await listenQuic({
    host: options.host,
    port: options.port,
    certificate: options.certificate,
  });
  const relay = new Relay(options);
  const handler = relay.createHandler();
  const accepting = (async () => {
    for await (const transport of listener.connections) {
      MoqtSession.establish(quicWebTransport(transport), {
        role: 'server',
        handler,
        implementation: 'moq-studio relay',
      })
        .then((session) => relay.accept(session))
        .catch((error: unknown) => options.onSessionError?.(error));
    }
  })();
  return {
    relay,
    host: listener.host,
    port: listener.port,
    async close() {
      relay.close();
      await listener.close(0, 'relay shutting down');
      await accepting;
    },
  };
}
