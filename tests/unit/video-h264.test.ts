// Which H.264 samples the decoder may skip (src/video/h264.ts), against ffmpeg's own reading of
// every NAL unit header (the trace_headers bitstream filter) on real files.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ByteSource } from '../../src/video/byte-source.ts';
import { demux } from '../../src/video/demux.ts';
import { disposableTest, isDisposableAvcSample, nalLengthSize } from '../../src/video/h264.ts';
import { sampleBytes } from '../../src/video/sample-bytes.ts';
import { fileBlob, testVideo, type VideoName } from '../fixtures/videos.ts';

const run = promisify(execFile);

/** Per packet in decode order: whether all its NAL units have nal_ref_idc 0 (ffmpeg's reading). */
async function ffmpegNonReference(path: string): Promise<boolean[]> {
  const { stderr } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-i',
      path,
      '-map',
      '0:v',
      '-c',
      'copy',
      '-bsf:v',
      'trace_headers',
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 1 << 28 },
  );
  const packets: number[][] = [];
  for (const line of stderr.split('\n')) {
    if (line.includes('] Packet: ')) packets.push([]);
    const ref = /nal_ref_idc\s+\d+ = (\d)/.exec(line);
    if (ref && packets.length > 0) packets.at(-1)!.push(Number(ref[1]));
  }
  return packets.map((refs) => refs.length > 0 && refs.every((r) => r === 0));
}

describe('disposable H.264 samples', () => {
  it.each(['h264-bframes', 'h264-moov-end', 'h264-fragmented', 'h264-long-gop'] as VideoName[])(
    '%s: exactly the non-reference pictures',
    async (name) => {
      const path = await testVideo(name);
      const source = new ByteSource(await fileBlob(path), name);
      const video = await demux(source);
      const test = disposableTest(video.codec, video.description)!;
      expect(test).not.toBeNull();
      const ours: boolean[] = [];
      const all = [{ first: 0, last: video.table.count - 1 }];
      for await (const { data } of sampleBytes(source, video.table, all)) ours.push(test(data));
      const reference = await ffmpegNonReference(path);
      expect(ours).toEqual(reference);
      if (name === 'h264-bframes') expect(ours.filter(Boolean).length).toBeGreaterThan(10);
      ours.forEach((d, i) => {
        if (video.table.sync[i]) expect(d, `keyframe ${i}`).toBe(false);
      });
    },
  );

  it('is only offered for H.264 with an avcC record', async () => {
    for (const name of ['vp9-odd-size', 'av1-odd-size', 'hevc'] as VideoName[]) {
      const video = await demux(new ByteSource(await fileBlob(await testVideo(name)), name));
      expect(disposableTest(video.codec, video.description), name).toBeNull();
    }
  });

  it('reads NAL headers with 1-, 2- and 4-byte lengths and refuses what does not parse', () => {
    const nonRef = [0x01, 0xaa]; // nal_ref_idc 0, type 1
    const ref = [0x41, 0xaa]; // nal_ref_idc 2, type 1
    const sei = [0x06, 0xbb];
    expect(isDisposableAvcSample(new Uint8Array([2, ...sei, 2, ...nonRef]), 1)).toBe(true);
    expect(isDisposableAvcSample(new Uint8Array([0, 2, ...nonRef]), 2)).toBe(true);
    expect(isDisposableAvcSample(new Uint8Array([0, 0, 0, 2, ...ref]), 4)).toBe(false);
    expect(isDisposableAvcSample(new Uint8Array([2, ...sei]), 1)).toBe(false); // no slice
    expect(isDisposableAvcSample(new Uint8Array([9, ...nonRef]), 1)).toBe(false); // overruns
    expect(isDisposableAvcSample(new Uint8Array([2, 0x81, 0]), 1)).toBe(false); // forbidden bit
    expect(nalLengthSize(new Uint8Array([1, 100, 0, 31, 0xff, 0xe1, 0]))).toBe(4);
    expect(nalLengthSize(new Uint8Array([0x81, 0, 0, 0, 0, 0, 0]))).toBeNull();
  });
});
