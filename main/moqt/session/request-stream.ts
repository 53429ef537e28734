// One bidirectional request stream: framed control messages in both directions. Incoming
// messages and the end of the stream are delivered as one ordered event sequence, buffered until
// the owner installs a handler, so nothing is lost while a response is being awaited.
import { Draft18 } from '../codec/draft18/index.js';
import type { ControlMessage } from '../codec/draft18/index.js';
import type { WebTransportBidiStream } from './api.js';
import type { SessionContext } from './context.js';
import { streamErrorCode } from './errors.js';
import { deferred, finishWriter, ignore, resetWriter, stopReader } from './stream-io.js';

export type StreamEnd =
  | { readonly kind: 'fin' }
  | { readonly kind: 'reset'; readonly code: number | undefined }
  | { readonly kind: 'session-closed' };

export type RequestEvent =
  | { readonly type: 'message'; readonly message: ControlMessage }
  /** The peer's half ended: FIN, RESET_STREAM, or the whole session closed. Always last. */
  | { readonly type: 'end'; readonly end: StreamEnd }
  /** The peer sent STOP_SENDING on our half (it no longer wants what we write). */
  | { readonly type: 'stop-sending'; readonly code: number | undefined };

export type RequestEventHandler = (event: RequestEvent) => void;

/** Bound on events buffered while no handler is installed; a flood of messages is an attack. */
const MAX_PENDING_EVENTS = 1024;

export class RequestStream {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly parser = new Draft18.ControlStreamParser();
  private readonly pending: RequestEvent[] = [];
  private handler: RequestEventHandler | undefined;
  private writable = true;
  private readEnded = false;
  private locallyReset = false;

  constructor(
    stream: WebTransportBidiStream,
    private readonly context: SessionContext,
  ) {
    this.writer = stream.writable.getWriter();
    this.reader = stream.readable.getReader();
    this.writer.closed.then(
      () => undefined,
      (error: unknown) => {
        if (!this.locallyReset && !this.context.isClosed) {
          this.writable = false;
          this.emit({ type: 'stop-sending', code: streamErrorCode(error) });
        }
      },
    );
    ignore(this.context.closedSignal.then(() => this.endRead({ kind: 'session-closed' })));
    ignore(this.readLoop());
  }

  /** Installs the event handler (or pauses delivery with undefined) and flushes buffered events. */
  setHandler(handler: RequestEventHandler | undefined): void {
    this.handler = handler;
    while (this.handler !== undefined && this.handler === handler && this.pending.length > 0) {
      this.dispatch(handler, this.pending.shift()!);
    }
  }

  /** The next event, delivered once; later events stay buffered until a handler is set. */
  next(): Promise<RequestEvent> {
    const result = deferred<RequestEvent>();
    this.setHandler((event) => {
      this.handler = undefined;
      result.resolve(event);
    });
    return result.promise;
  }

  /** Queues a message; encoding errors (caller bugs) throw, transport errors are ignored. */
  send(message: ControlMessage): void {
    const bytes = Draft18.encodeControlMessage(message);
    if (!this.writable) return;
    ignore(this.writer.write(bytes));
  }

  /** FIN on our half. */
  finish(): void {
    if (!this.writable) return;
    this.writable = false;
    finishWriter(this.writer);
  }

  /** RESET_STREAM and STOP_SENDING: the request is cancelled in both directions. */
  reset(code: number): void {
    if (this.locallyReset) return;
    this.locallyReset = true;
    this.writable = false;
    resetWriter(this.writer, code);
    if (!this.readEnded) stopReader(this.reader, code);
    this.endRead({ kind: 'reset', code });
  }

  private emit(event: RequestEvent): void {
    if (this.handler !== undefined) {
      this.dispatch(this.handler, event);
      return;
    }
    if (this.pending.length >= MAX_PENDING_EVENTS) {
      this.context.fail(new Error('too many unhandled messages on a request stream'));
      return;
    }
    this.pending.push(event);
  }

  private dispatch(handler: RequestEventHandler, event: RequestEvent): void {
    try {
      handler(event);
    } catch (error) {
      this.context.fail(error);
    }
  }

  private endRead(end: StreamEnd): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.emit({ type: 'end', end });
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await this.reader.read();
      } catch (error) {
        this.endRead({ kind: 'reset', code: streamErrorCode(error) });
        return;
      }
      if (this.readEnded || this.context.isClosed) return;
      if (result.done) break;
      try {
        for (const message of this.parser.push(result.value)) {
          if (this.context.isClosed) return;
          this.emit({ type: 'message', message });
        }
      } catch (error) {
        this.context.fail(error);
        return;
      }
    }
    try {
      this.parser.end();
    } catch (error) {
      this.context.fail(error);
      return;
    }
    this.endRead({ kind: 'fin' });
  }
}
