#!/usr/bin/env node
// `npx moq-studio`: the headless CLI. Runs main/cli.ts through tsx so the CLI works straight
// from a checkout after `npm ci`, without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
