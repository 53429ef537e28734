// The headless CLI: one table of commands, each with its own help line and module under cli/.
import { readFileSync } from 'node:fs';
import { coordinatorCommand } from './cli/coordinator-command.js';
import { demoCommand } from './cli/demo-command.js';
import { broadcastCommand, watchCommand } from './cli/member-commands.js';
import { relayCommand } from './cli/relay-command.js';
import { relayTokenCommand } from './cli/relay-token-command.js';
import { serveCommand } from './cli/serve-command.js';

interface Command {
  readonly summary: string;
  readonly run: (args: string[]) => Promise<number> | number;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const commands: Record<string, Command> = {
  relay: { summary: 'Run a MoQT draft-18 relay over QUIC (moq-studio relay --help)', run: relayCommand },
  'relay-token': { summary: 'Mint an authorization token for a relay', run: relayTokenCommand },
  coordinator: {
    summary: 'Run the Coordination Service over HTTPS (moq-studio coordinator --help)',
    run: coordinatorCommand,
  },
  demo: {
    summary: 'Relay + coordinator + producer + viewers + moderator, with a summary (moq-studio demo --help)',
    run: demoCommand,
  },
  broadcast: {
    summary: 'Create a security group and stream encrypted media to it (moq-studio broadcast --help)',
    run: broadcastCommand,
  },
  watch: {
    summary: 'Join a security group and decrypt its media (moq-studio watch --help)',
    run: watchCommand,
  },
  serve: {
    summary: 'Run the studio in a browser: renderer + bridge over HTTP (moq-studio serve --help)',
    run: serveCommand,
  },
  version: {
    summary: 'Print the version of MoQ Studio',
    run: () => {
      console.log(`moq-studio ${packageVersion()}`);
      return 0;
    },
  },
  help: {
    summary: 'Show this help',
    run: () => {
      console.log(usage());
      return 0;
    },
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'MoQ Studio — end-to-end encrypted live broadcasting over Media over QUIC',
    '',
    'Usage: moq-studio <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -v, --version  Print the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') return commands.help!.run(rest);
  if (first === '-v' || first === '--version') return commands.version!.run(rest);
  const command = commands[first];
  if (!command) {
    console.error(`moq-studio: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    // Bad flags or unusable files: one clear line, not a stack trace.
    console.error(`moq-studio ${first}: ${(error as Error).message}`);
    return 1;
  }
}
