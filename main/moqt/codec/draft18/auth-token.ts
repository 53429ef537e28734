// The AUTHORIZATION TOKEN structure (§AUTHORIZATION TOKEN Parameter) shared by the message
// parameter 0x03 and the Setup Option 0x03. A token that cannot be decoded closes the session
// with KEY_VALUE_FORMATTING_ERROR, as the draft requires.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { asProtocolError, keyValueFormattingError } from '../errors.js';
import { SessionErrorCode } from '../error-codes.js';

export const AliasType = { DELETE: 0x0, REGISTER: 0x1, USE_ALIAS: 0x2, USE_VALUE: 0x3 } as const;

export type AuthToken =
  | { readonly aliasType: 'delete'; readonly alias: bigint }
  | {
      readonly aliasType: 'register';
      readonly alias: bigint;
      readonly tokenType: bigint;
      readonly value: Uint8Array;
    }
  | { readonly aliasType: 'use-alias'; readonly alias: bigint }
  | { readonly aliasType: 'use-value'; readonly tokenType: bigint; readonly value: Uint8Array };

export function decodeAuthToken(bytes: Uint8Array): AuthToken {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    const aliasType = reader.varintBig();
    let token: AuthToken;
    switch (aliasType) {
      case 0n:
        token = { aliasType: 'delete', alias: reader.varintBig() };
        break;
      case 1n: {
        const alias = reader.varintBig();
        const tokenType = reader.varintBig();
        token = { aliasType: 'register', alias, tokenType, value: reader.rest().slice() };
        break;
      }
      case 2n:
        token = { aliasType: 'use-alias', alias: reader.varintBig() };
        break;
      case 3n: {
        const tokenType = reader.varintBig();
        token = { aliasType: 'use-value', tokenType, value: reader.rest().slice() };
        break;
      }
      default:
        return keyValueFormattingError(`unknown token alias type ${aliasType}`);
    }
    if (reader.remaining !== 0) keyValueFormattingError('trailing bytes after the token alias');
    return token;
  }, SessionErrorCode.KEY_VALUE_FORMATTING_ERROR);
}

export function encodeAuthToken(token: AuthToken): Uint8Array {
  const writer = new ByteWriter();
  switch (token.aliasType) {
    case 'delete':
      writer.varint(AliasType.DELETE).varint(token.alias);
      break;
    case 'register':
      writer.varint(AliasType.REGISTER).varint(token.alias).varint(token.tokenType).bytes(token.value);
      break;
    case 'use-alias':
      writer.varint(AliasType.USE_ALIAS).varint(token.alias);
      break;
    case 'use-value':
      writer.varint(AliasType.USE_VALUE).varint(token.tokenType).bytes(token.value);
      break;
  }
  return writer.finish();
}
