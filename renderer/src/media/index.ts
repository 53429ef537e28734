// The renderer's media pipeline (see api.ts): capture, codec probing, the producer and the viewer.
export { captureMedia } from './capture.js';
export { supportedVideoCodecs } from './codecs.js';
export { startProducer } from './producer.js';
export { startViewer } from './viewer.js';
export type * from './api.js';
