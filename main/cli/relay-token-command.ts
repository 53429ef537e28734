// `moq-studio relay-token`: mints an AUTHORIZATION_TOKEN for a relay started with
// --token-secret-file, scoped to a namespace prefix and a role, valid for a limited time.
import { parseArgs } from 'node:util';
import { mintRelayToken } from '../relay/auth.js';
import { readSecretFile } from './relay-command.js';

export const relayTokenUsage = `Usage: moq-studio relay-token --secret-file FILE --role publish|subscribe --prefix NS [--ttl SECONDS]

  --prefix  namespace prefix the token covers, fields separated by "/" (e.g. studio/broadcast-1)
  --ttl     validity in seconds (default 3600)`;

export async function relayTokenCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'secret-file': { type: 'string' },
      role: { type: 'string' },
      prefix: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(relayTokenUsage);
    return 0;
  }
  if (
    !values['secret-file'] ||
    !values.prefix ||
    (values.role !== 'publish' && values.role !== 'subscribe')
  ) {
    console.error(relayTokenUsage);
    return 2;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new Error(`--ttl: ${values.ttl} is not a positive number of seconds`);
  const prefix = values.prefix
    .split('/')
    .filter((field) => field.length > 0)
    .map((field) => new TextEncoder().encode(field));
  const token = mintRelayToken(await readSecretFile(values['secret-file']), {
    role: values.role,
    prefix,
    exp: Math.floor(Date.now() / 1000) + ttl,
  });
  console.log(new TextDecoder().decode(token));
  return 0;
}
