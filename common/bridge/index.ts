// Public surface of the StudioBridge contract, shared by preload, main/app and the renderer.
export * from './contract.js';
export * from './validators.js';
export * from './studio-types.js';
export * from './media-frame.js';
