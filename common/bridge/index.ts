// Public surface of the StudioBridge contract, shared by preload, main/app and the renderer.
export * from './contract.js';
export * from './validators.js';
