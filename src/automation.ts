// The automation page: the pipeline worker behind a small global API, for the `kvtp` command line
// (playwright-core sets the file input and calls `window.kvtp.request`). Same worker, same
// protocol as the app; no UI.

import { PipelineClient, PipelineError } from './worker/client.ts';
import type { CommandName, PipelineEvent } from './worker/protocol.ts';

declare global {
  interface Window {
    kvtp: AutomationApi;
    /** Exposed by the command line to receive events (progress, frames). */
    kvtpEvent?: (requestTag: string, event: unknown) => void;
  }
}

export interface AutomationApi {
  /**
   * Run `command`. If `fileArg` is given, `args[fileArg]` becomes the file chosen in the page's
   * file input. Resolves to `{ result }` or `{ error: { code, message } }`, never rejects.
   */
  request(
    command: CommandName,
    args: Record<string, unknown>,
    options?: { fileArg?: string; tag?: string },
  ): Promise<{ result?: unknown; error?: { code: string; message: string } }>;
  cancelAll(): void;
}

const client = PipelineClient.start();
const input = document.getElementById('file') as HTMLInputElement;
const controllers = new Set<AbortController>();

window.kvtp = {
  async request(command, args, options = {}) {
    const controller = new AbortController();
    controllers.add(controller);
    try {
      const full = { ...args };
      if (options.fileArg) {
        const file = input.files?.[0];
        if (!file) return { error: { code: 'no-file', message: 'No file was given.' } };
        full[options.fileArg] = file;
        full.name ??= file.name;
      }
      const result = await client.request(command, full as never, {
        signal: controller.signal,
        onEvent: (event: PipelineEvent) => {
          if (event.type === 'frame') event.thumbnail?.close();
          const { type } = event;
          const plain = type === 'frame' ? { ...event, thumbnail: null } : event;
          window.kvtpEvent?.(options.tag ?? command, plain);
        },
      });
      return { result };
    } catch (e) {
      if (e instanceof PipelineError) return { error: { code: e.code, message: e.message } };
      return { error: { code: 'internal', message: String(e) } };
    } finally {
      controllers.delete(controller);
    }
  },
  cancelAll() {
    for (const c of controllers) c.abort();
  },
};
