// Everything one member of a security group needs, opened from a data directory: its SQLite file and
// key file, its long-term identity (created on first use and kept sealed), an MLS environment that
// only accepts identity-bound credentials, a MoQT session to the relay and a Coordination Service
// client. Used by the CLI (demo / broadcast / watch), the studio and the integration tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exportIdentity, generateIdentity, importIdentity } from '../mls/identity.js';
import type { Identity } from '../mls/identity.js';
import { identityAuthService } from '../mls/identity-credential.js';
import { createMlsEnv } from '../mls/index.js';
import { connectMoqt } from '../moqt/connect.js';
import type { MoqtSession } from '../moqt/session/index.js';
import type { RequestHandler } from '../moqt/session/api.js';
import { openDatabase } from '../store/database.js';
import type { SqliteDatabase } from '../store/database.js';
import { GroupStateRepository, STORE_MIGRATIONS } from '../store/group-state-repository.js';
import { SealedValues } from '../store/sealed-values.js';
import { keyFileSecretBox } from '../store/secret-box.js';
import type { SecretBox } from '../store/secret-box.js';
import { CoordinationClient } from './coordination-client.js';
import { LocalTrackPublisher } from './local-publisher.js';
import { SecurityGroup } from './security-group.js';
import type { SecurityGroupOptions } from './security-group.js';

export interface MemberOptions extends Omit<
  SecurityGroupOptions,
  'identity' | 'env' | 'session' | 'coordinator' | 'groups' | 'values' | 'groupId' | 'publisher'
> {
  /** Holds `member.db` and `member.key` (created 0600 on first use). */
  readonly dataDir: string;
  readonly groupId: string;
  /** Used when the identity is created; a stored identity keeps its own name. */
  readonly displayName: string;
  /** `moqt://host:port/path?fp=<sha256>` */
  readonly relayUrl: string;
  /** `https://host:port/?fp=<sha256>` (or http:// on loopback) */
  readonly coordinatorUrl: string;
  readonly caPem?: string;
  /** Defaults to the key file in dataDir; the studio passes an Electron safeStorage box. */
  readonly secretBox?: SecretBox;
  /** Serves the peer's requests on the member's session (a producer publishes its media here). */
  readonly handler?: RequestHandler;
  /**
   * Called once the session is up, before joining (which may wait minutes for a moderator): lets the
   * caller use the session and identity meanwhile (e.g. to watch for a denial notice).
   */
  readonly onConnected?: (connected: { session: MoqtSession; identity: Identity }) => void;
}

export interface Member {
  readonly identity: Identity;
  readonly group: SecurityGroup;
  readonly session: MoqtSession;
  readonly database: SqliteDatabase;
  /** Stops following the group and closes the session and the database (state stays on disk). */
  close(): Promise<void>;
}

const IDENTITY_KEY = 'identity';

export async function openMember(options: MemberOptions): Promise<Member> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const box = options.secretBox ?? keyFileSecretBox(join(options.dataDir, 'member.key'));
  const database = openDatabase(join(options.dataDir, 'member.db'), STORE_MIGRATIONS);
  let session: MoqtSession | undefined;
  try {
    const values = new SealedValues(database, box);
    const stored = values.get(IDENTITY_KEY);
    const identity = stored ? importIdentity(stored) : generateIdentity(options.displayName);
    if (!stored) values.set(IDENTITY_KEY, exportIdentity(identity));
    const env = await createMlsEnv({ authService: identityAuthService });
    // With the epoch counter the member publishes its own group tracks beside whatever the
    // application serves on the same session.
    const publisher =
      options.protocol === 'epoch-counter' ? new LocalTrackPublisher(options.handler) : undefined;
    const handler = publisher ?? options.handler;
    session = await connectMoqt(options.relayUrl, {
      implementation: 'moq-studio member',
      ...(handler ? { handler } : {}),
      ...(options.caPem ? { caPem: options.caPem } : {}),
    });
    options.onConnected?.({ session, identity });
    const coordinator = new CoordinationClient({
      url: options.coordinatorUrl,
      ...(options.caPem ? { caPem: options.caPem } : {}),
    });
    const group = await SecurityGroup.open({
      ...options,
      identity,
      env,
      session,
      coordinator,
      groups: new GroupStateRepository(database, box),
      values,
      ...(publisher ? { publisher } : {}),
    });
    const openSession = session;
    return {
      identity,
      group,
      session: openSession,
      database,
      async close() {
        group.close();
        openSession.close(0, 'member closed');
        database.close();
      },
    };
  } catch (error) {
    session?.close(0, 'member failed to start');
    database.close();
    throw error;
  }
}
