// `npm run bench:ingest`: how long sampling 16 and 64 frames of a 30-minute video (10 s GOPs)
// takes through `kvtp probe`, side by side with ffmpeg extracting the same timestamps on this
// machine: an H.264 MP4 (mp4box) and a VP9 WebM (mediabunny), one row each. Prints the figures
// and their ratios; asserts nothing (timings are not tests).
//
// kvtp is timed twice: the real command line (wall clock, with Chromium's start-up), and the
// sampling alone inside a warm worker (the `open` result's elapsedMs). ffmpeg is timed the fairest
// fast way: one `ffmpeg -ss T -i VIDEO -frames:v 1` per timestamp, which seeks to the keyframe
// before T and decodes forward to T (as kvtp does), scaling the frame to the same 512-pixel edge.

import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt } from '../cli/build.ts';
import { openSession } from '../cli/browser.ts';
import type { OpenResult } from '../src/worker/protocol.ts';
import { makeVideo } from '../tests/fixtures/videos.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const CACHE = join(ROOT, 'bench/.cache');
const MINUTES = 30;

/** The bench videos: 30 min of 640×360 at 30 fps, a keyframe every 10 s, with audio. */
const H264 = {
  ext: 'mp4',
  ffmpeg: [
    ...['-f', 'lavfi', '-t', String(MINUTES * 60), '-i', 'testsrc2=s=640x360:r=30'],
    ...['-f', 'lavfi', '-t', String(MINUTES * 60), '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23'],
    ...['-g', '300', '-keyint_min', '300', '-sc_threshold', '0'],
    ...['-c:a', 'aac', '-b:a', '64k'],
  ],
} as const;
/** The same picture and sound as a VP9 / Opus WebM, as ffmpeg writes it (Cues, Duration). */
const VP9 = {
  ext: 'webm',
  ffmpeg: [
    ...H264.ffmpeg.slice(0, 12),
    ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1'],
    ...['-b:v', '1M', '-g', '300', '-keyint_min', '300'],
    ...['-c:a', 'libopus', '-b:a', '64k'],
  ],
} as const;
const VIDEOS = [
  { name: 'ingest-30min', label: 'H.264 MP4', recipe: H264 },
  { name: 'ingest-30min-vp9', label: 'VP9 WebM', recipe: VP9 },
] as const;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await f();
  return [value, performance.now() - start];
}

async function kvtpCli(video: string, frames: number): Promise<{ t: number }[]> {
  const { stdout } = await run(
    'node',
    ['bin/kvtp.mjs', 'probe', video, '--frames', String(frames), '--json'],
    { cwd: ROOT, maxBuffer: 1 << 24 },
  );
  return (JSON.parse(stdout) as { frames: { t: number }[] }).frames;
}

async function ffmpegAt(video: string, times: readonly number[]): Promise<void> {
  for (const t of times) {
    await run('ffmpeg', [
      ...['-v', 'error', '-ss', t.toFixed(6), '-i', video, '-frames:v', '1'],
      ...['-vf', 'scale=512:-2', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-y', '/dev/null'],
    ]);
  }
}

async function main() {
  const videos: { label: string; path: string; size: number }[] = [];
  for (const v of VIDEOS) {
    console.log(
      `bench:ingest — making (or reusing) the ${MINUTES}-minute ${v.label} in bench/.cache/ …`,
    );
    const [path, makeMs] = await timed(() => makeVideo(v.name, v.recipe, CACHE));
    if (makeMs > 1000) console.log(`  made in ${seconds(makeMs)}`);
    const size = statSync(path).size;
    console.log(`  ${path}`);
    console.log(
      `  ${MINUTES} min, 640×360, 30 fps ${v.label}, 10 s GOPs, with audio; ${(size / 2 ** 20).toFixed(1)} MiB`,
    );
    videos.push({ label: v.label, path, size });
  }
  await ensureBuilt((line) => console.log(`  ${line}`));

  const session = await openSession();
  const rows: string[][] = [];
  try {
    for (const { label, path: video, size } of videos) {
      for (const frames of [16, 64]) {
        const [cliFrames, cliMs] = await timed(() => kvtpCli(video, frames));
        const outcome = await session.request<OpenResult>('open', { frames }, { file: video });
        if (outcome.error) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
        const r = outcome.result;
        const times = cliFrames.map((f) => f.t);
        const [, ffmpegMs] = await timed(() => ffmpegAt(video, times));
        rows.push([
          label,
          String(frames),
          seconds(cliMs),
          seconds(r.elapsedMs),
          seconds(ffmpegMs),
          `${(cliMs / ffmpegMs).toFixed(2)}×`,
          `${(r.elapsedMs / ffmpegMs).toFixed(2)}×`,
          `${r.decodedSamples} of ${r.info.frameCount}`,
          `${(r.bytesRead / 2 ** 20).toFixed(1)} MiB (${((100 * r.bytesRead) / size).toFixed(1)} %)`,
        ]);
      }
    }
  } finally {
    await session.close();
  }
  const head = [
    'video',
    'frames',
    'kvtp probe (CLI wall)',
    'kvtp sampling (worker)',
    'ffmpeg -ss per frame',
    'CLI/ffmpeg',
    'worker/ffmpeg',
    'samples decoded',
    'bytes read',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log('');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

await main();
