// The draft-18 codec as one object (`Draft18`) plus its types, so session code can be written
// against `codecs[18]` and later drafts can slot in beside it with the same shape.
import { ControlStreamParser } from './control-parser.js';
import { decodeControlMessage, encodeControlMessage } from './control.js';
import { DRAFT18_ALPN } from './constants.js';
import { DataStreamParser, classifyUniStream } from './data-stream-parser.js';
import { decodeDatagram, encodeDatagram } from './datagram.js';
import {
  encodeFetchHeader,
  encodeFetchStream,
  decodeFetchItems,
  newFetchStreamState,
  writeFetchItem,
} from './fetch-stream.js';
import {
  decodeSubgroupHeader,
  decodeSubgroupObjects,
  encodeSubgroupHeader,
  encodeSubgroupStream,
  writeSubgroupObject,
} from './subgroup.js';

export const Draft18 = {
  version: 18,
  alpn: DRAFT18_ALPN,
  encodeControlMessage,
  decodeControlMessage,
  ControlStreamParser,
  DataStreamParser,
  classifyUniStream,
  encodeDatagram,
  decodeDatagram,
  encodeSubgroupHeader,
  decodeSubgroupHeader,
  writeSubgroupObject,
  encodeSubgroupStream,
  decodeSubgroupObjects,
  encodeFetchHeader,
  newFetchStreamState,
  writeFetchItem,
  encodeFetchStream,
  decodeFetchItems,
} as const;

export * from './auth-token.js';
export * from './constants.js';
export * from './control-parser.js';
export * from './control.js';
export * from './data-stream-parser.js';
export * from './datagram.js';
export * from './fetch-stream.js';
export * from './key-value.js';
export * from './messages.js';
export * from './object-fields.js';
export * from './parameters.js';
export * from './primitives.js';
export * from './properties.js';
export * from './setup-options.js';
export * from './subgroup.js';
