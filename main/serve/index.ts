// Browser mode's public surface: the server that `moq-studio serve` and the Chromium e2e harness start.
export { startStudioServer } from './server.js';
export type { StudioServer, StudioServerOptions } from './server.js';
export { DEFAULT_PROFILE } from './access.js';
