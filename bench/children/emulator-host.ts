/**
 * Runs the NAS OpenAPI emulator in its own process for the benchmark, so that its CPU time is not
 * counted against the client being measured (the machine has 2 cores: one each). Driven over the
 * `fork` IPC channel:
 *
 *   parent → {type: 'start', options}     child → {type: 'ready', url}
 *   parent → {type: 'log'}                child → {type: 'log', entries}
 *   parent → {type: 'stop'}               child stops the emulator and exits
 *
 * Listens on 127.0.0.1 only. Stops by itself when the parent goes away, and after `maxLifetimeMs`.
 */
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/server.js';
import type { HostMessage, HostReply, LogEntry } from '../lib/emulator-protocol.js';

let emulator: EmulatorHandle | undefined;

function reply(message: HostReply): void {
  process.send?.(message);
}

function compactLog(handle: EmulatorHandle): LogEntry[] {
  return handle.log.entries.map((e) => ({
    t: e.timeMs,
    action: e.action,
    status: e.status,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.params['ClientToken'] !== undefined ? { token: e.params['ClientToken'] } : {}),
    ...(e.replayed ? { replayed: true } : {}),
  }));
}

async function stop(code: number): Promise<never> {
  await emulator?.stop();
  process.exit(code);
}

process.on('message', (raw: unknown) => {
  const message = raw as HostMessage;
  void (async () => {
    try {
      if (message.type === 'start') {
        const options: EmulatorOptions = { ...message.options, host: '127.0.0.1', port: 0 };
        emulator = await startEmulator(options);
        setTimeout(() => void stop(3), message.maxLifetimeMs).unref();
        reply({ type: 'ready', url: emulator.url });
      } else if (message.type === 'log') {
        reply({ type: 'log', entries: emulator ? compactLog(emulator) : [] });
      } else if (message.type === 'stop') {
        await stop(0);
      }
    } catch (error) {
      reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
// The parent died or closed the channel: nothing will ask for the log any more.
process.on('disconnect', () => void stop(0));
