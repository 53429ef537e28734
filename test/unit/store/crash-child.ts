// Child process for the crash-safety test: starts processMessage and SIGKILLs itself in the middle of the
// transaction (while sealing the epoch secret, i.e. after the state UPDATE already ran).
import { openDatabase } from '../../../main/store/database.js';
import { GroupStateRepository, STORE_MIGRATIONS } from '../../../main/store/group-state-repository.js';
import { keyFileSecretBox } from '../../../main/store/secret-box.js';
import type { SecretBox } from '../../../main/store/secret-box.js';

const [dbPath, keyPath] = process.argv.slice(2) as [string, string];
const inner = keyFileSecretBox(keyPath);
let seals = 0;
const box: SecretBox = {
  open: (s, a) => inner.open(s, a),
  seal: (p, a) => {
    if (++seals === 2) process.kill(process.pid, 'SIGKILL');
    return inner.seal(p, a);
  },
};
const repo = new GroupStateRepository(openDatabase(dbPath, STORE_MIGRATIONS), box);
const te = new TextEncoder();
repo.processMessage(te.encode('group-A'), te.encode('msg-crash'), (c) => ({
  newEpoch: c.epoch + 1n,
  newState: te.encode('state-after-crash'),
  epochSecret: te.encode('secret-after-crash'),
}));
process.stdout.write('not reached\n');
