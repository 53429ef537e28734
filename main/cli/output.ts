// Shared console helpers for the long-running commands: a progress line that redraws itself on a
// terminal (and prints a line now and then when piped), and strict integer options.
export function progressLine(stream: NodeJS.WriteStream): { update(text: string): void; done(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(text) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else if (Date.now() - last >= 2000) {
        last = Date.now();
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

export function positiveInteger(flag: string, text: string | undefined, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
