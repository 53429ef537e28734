// Parent side of coordinator-process.ts: fork a Coordination Service, wait for its URL, stop it
// gracefully or with SIGKILL. stopAll() kills whatever is still running (call it in afterAll).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CoordinatorChildMessage } from './coordinator-process.js';

const SCRIPT = fileURLToPath(new URL('./coordinator-process.ts', import.meta.url));

export interface CoordinatorChild {
  readonly url: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** SIGKILL: no cleanup at all, as a crash or power loss would. */
  kill9(): Promise<void>;
  /** Graceful: closes the server and the store. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

export async function startCoordinatorChild(location: string, timeoutMs = 20_000): Promise<CoordinatorChild> {
  const child = fork(SCRIPT, [location], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  void exited.then(() => running.delete(child));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('coordinator child did not start in time')), timeoutMs);
      child.on('message', (message: CoordinatorChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.url);
        else reject(new Error(`coordinator child: ${message.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`coordinator child exited during startup (code ${code}, signal ${signal})`));
      });
    });
    return {
      url,
      pid: child.pid!,
      process: child,
      exited,
      async kill9() {
        child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

/** SIGKILLs every child still running and waits for them. */
export async function stopAllCoordinatorChildren(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
