// `kvtp probe VIDEO [--frames N] [--json]`: open the video in the browser pipeline, sample N
// frames, print {container, codec, width, height, rotation, duration, bytes, frames:[{t}]} (as text
// instead on a terminal without --json; see ../output.ts). Exit 1 on a file it cannot read, 2 on
// a usage error.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { intOption, parse } from '../args.ts';
import { openSession } from '../browser.ts';
import { errorValue, output } from '../output.ts';
import { DEFAULT_FRAMES, MAX_FRAMES, MIN_FRAMES } from '../../src/video/types.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';

export async function probeCommand(argv: string[]): Promise<number> {
  const wantJson = argv.includes('--json');
  const out = output(wantJson);
  try {
    const { values, positionals } = parse(argv, {
      frames: { type: 'string' },
      json: { type: 'boolean' },
    });
    const frames = intOption(values.frames, 'frames', DEFAULT_FRAMES, MIN_FRAMES, MAX_FRAMES);
    if (positionals.length !== 1) {
      return out.error(
        { code: 'usage', message: 'usage: kvtp probe VIDEO [--frames N] [--json]' },
        2,
      );
    }
    const path = resolve(positionals[0]!);
    if (!existsSync(path) || !statSync(path).isFile()) {
      return out.error({ code: 'not-found', message: `No such file: ${positionals[0]}` });
    }
    const session = await openSession({ log: out.progress });
    try {
      const outcome = await session.request<OpenResult>(
        'open',
        { frames },
        {
          file: path,
          onEvent: (e) => {
            const ev = e as { type: string; stage?: string; done?: number; total?: number };
            if (ev.type === 'progress') out.progress(`${ev.stage} ${ev.done}/${ev.total}`);
          },
        },
      );
      if (outcome.error) return out.error(outcome.error);
      const { info, frames: stamps } = outcome.result;
      const report = {
        container: info.container,
        codec: info.codec,
        width: info.width,
        height: info.height,
        rotation: info.rotation,
        duration: info.duration,
        /** The file's size in bytes (width and height are the picture's). */
        bytes: info.size,
        frames: stamps.map((f) => ({ t: f.t })),
      };
      return out.result(report, () =>
        [
          `${info.name}: ${info.container}, ${info.codec}, ${info.width}×${info.height}` +
            (info.rotation ? `, rotated ${info.rotation}°` : '') +
            `, ${info.duration.toFixed(2)} s, ${info.frameCount} frames, ${info.size} bytes`,
          `sampled ${stamps.length} frames at: ${stamps.map((f) => f.t.toFixed(3)).join(' ')}`,
        ].join('\n'),
      );
    } finally {
      await session.close();
    }
  } catch (e) {
    const err = errorValue(e);
    return out.error(err, err.code === 'usage' ? 2 : 1);
  }
}
