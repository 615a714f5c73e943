// The byte level of the video path: top-level box headers (src/video/boxes.ts), reads through
// Blob.slice with their counters (byte-source.ts), sample bytes read in batches (sample-bytes.ts),
// and the small pure helpers for messages (errors.ts) and frame sizes (frames.ts).
import { describe, expect, it } from 'vitest';
import {
  hideOtherFragments,
  hideOtherTracks,
  isFirstBox,
  parseBoxHeader,
  skippedBoxHeader,
} from '../../src/video/boxes.ts';
import { ByteSource } from '../../src/video/byte-source.ts';
import { demux } from '../../src/video/demux.ts';
import { codecName, sniffFormat } from '../../src/video/errors.ts';
import { uprightSize } from '../../src/video/frames.ts';
import { planSampling } from '../../src/video/plan.ts';
import { planReads, sampleBytes } from '../../src/video/sample-bytes.ts';
import { fileBlob, testVideo } from '../fixtures/videos.ts';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)),
  );

describe('parseBoxHeader', () => {
  it.each([
    ['a 32-bit size', bytes([0, 0, 0, 24], 'ftyp'), 100, { type: 'ftyp', size: 24, headerSize: 8 }],
    [
      'a 64-bit size',
      bytes([0, 0, 0, 1], 'mdat', [0, 0, 0, 1, 0, 0, 0, 0]),
      2 ** 33,
      { type: 'mdat', size: 2 ** 32, headerSize: 16 },
    ],
    [
      'size 0: to the end of the file',
      bytes([0, 0, 0, 0], 'mdat'),
      1000,
      { type: 'mdat', size: 1000, headerSize: 8 },
    ],
    ['a size below its header', bytes([0, 0, 0, 4], 'free'), 100, 'invalid'],
    ['a type that is not text', bytes([0, 0, 0, 16, 0, 1, 2, 3]), 100, 'invalid'],
    ['a header cut short', bytes([0, 0, 0, 16], 'mo'), 100, 'short'],
    ['a 64-bit size cut short', bytes([0, 0, 0, 1], 'mdat', [0, 0]), 100, 'short'],
    ['fewer than 8 bytes left in the file', bytes([0, 0, 0, 8], 'mo'), 6, 'invalid'],
  ] as const)('%s', (_, head, fileSize, expected) => {
    const box = parseBoxHeader(head, 0, 0, fileSize);
    if (typeof expected === 'string') expect(box).toBe(expected);
    else expect(box).toEqual({ start: 0, ...expected });
  });

  it('stands in for a skipped box with a 64-bit mdat header of the same size', () => {
    const header = skippedBoxHeader(5 * 2 ** 30 + 7);
    expect(parseBoxHeader(header, 0, 0, 2 ** 40)).toEqual({
      type: 'mdat',
      start: 0,
      size: 5 * 2 ** 30 + 7,
      headerSize: 16,
    });
  });

  it('knows the boxes an MP4 or MOV file starts with', () => {
    expect(['ftyp', 'moov', 'mdat', 'wide', 'free'].every(isFirstBox)).toBe(true);
    expect(['moof', 'trak', 'RIFF', 'abcd'].some(isFirstBox)).toBe(false);
  });
});

describe('other tracks hidden from mp4box', () => {
  /** Every top-level box of a small file: [type, bytes]. */
  async function topLevel(path: string) {
    const file = new Uint8Array(await (await fileBlob(path)).slice(0, 1 << 30).arrayBuffer());
    const boxes: [string, Uint8Array][] = [];
    for (let at = 0; at < file.length;) {
      const box = parseBoxHeader(file, at, at, file.length);
      if (typeof box === 'string') throw new Error(box);
      boxes.push([box.type, file.slice(at, at + box.size)]);
      at += box.size;
    }
    return boxes;
  }
  const count = (bytes: Uint8Array, type: string) => {
    let n = 0;
    for (let i = 0; i + 4 <= bytes.length; i++) {
      if (String.fromCharCode(...bytes.subarray(i, i + 4)) === type) n++;
    }
    return n;
  };

  it('blanks the audio trak of a moov (same size) and names the video track', async () => {
    const moov = (await topLevel(await testVideo('h264-moov-end'))).find(([t]) => t === 'moov')![1];
    const before = moov.length;
    expect(count(moov, 'trak')).toBe(2);
    expect(hideOtherTracks(moov)).toEqual(new Set([1]));
    expect(moov.length).toBe(before);
    expect(count(moov, 'trak')).toBe(1);
    expect(count(moov, 'soun')).toBe(1); // the audio track is still there, inside a 'free' box
  });

  it('blanks the audio fragments of every moof', async () => {
    const boxes = await topLevel(await testVideo('h264-fragmented'));
    const video = hideOtherTracks(boxes.find(([t]) => t === 'moov')![1]);
    const moofs = boxes.filter(([t]) => t === 'moof').map(([, b]) => b);
    expect(moofs.length).toBeGreaterThan(3);
    for (const moof of moofs) {
      expect(count(moof, 'traf')).toBe(2);
      hideOtherFragments(moof, video);
      expect(count(moof, 'traf')).toBe(1);
    }
  });

  it('leaves a file without video alone, for the error to name its tracks', async () => {
    const moov = (await topLevel(await testVideo('audio-only'))).find(([t]) => t === 'moov')![1];
    expect(hideOtherTracks(moov).size).toBe(0);
    expect(count(moov, 'trak')).toBe(1);
  });
});

describe('messages', () => {
  it.each([
    [bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), /WebM/],
    [bytes('RIFF', [0, 0, 0, 0], 'AVI LIST'), /AVI/],
    [bytes('OggS', [0, 2]), /Ogg/],
    [bytes([0x89], 'PNG', [13, 10, 26, 10]), /PNG/],
    [bytes('hello, world\n'), /text/],
    [bytes([0, 1, 2, 3, 250, 251]), null],
  ])('sniffFormat %#', (head, expected) => {
    const found = sniffFormat(head);
    if (expected === null) expect(found).toBeNull();
    else expect(found).toMatch(expected);
  });

  it('names codecs', () => {
    expect(codecName('hvc1.1.6.L93.90')).toBe('HEVC (H.265)');
    expect(codecName('avc1.64001f')).toBe('H.264');
    expect(codecName('zzzz')).toBe("'zzzz'");
  });
});

describe('uprightSize', () => {
  it.each([
    [1920, 1080, 0, 512, 512, 288],
    [1920, 1080, 90, 512, 288, 512],
    [1920, 1080, 270, 512, 288, 512],
    [1920, 1080, 180, 512, 512, 288],
    [320, 240, 0, 512, 320, 240], // never upscaled
    [161, 97, 90, 512, 97, 161],
    [4000, 3, 0, 512, 512, 1], // at least one pixel
  ] as const)('%i×%i rotated %i, max %i → %i×%i', (w, h, r, max, ew, eh) => {
    expect(uprightSize(w, h, r, max)).toEqual({ width: ew, height: eh });
  });
});

describe('ByteSource', () => {
  it('reads ranges, cut at the end of the file, and counts what it read', async () => {
    const source = new ByteSource(new Blob([bytes('0123456789')]), 'digits');
    expect(String.fromCharCode(...(await source.read(2, 3)))).toBe('234');
    expect(String.fromCharCode(...(await source.read(8, 100)))).toBe('89');
    expect((await source.read(10, 5)).length).toBe(0);
    expect([source.bytesRead, source.reads]).toEqual([5, 2]);
  });
});

describe('sample bytes', () => {
  it('reads exactly each planned sample, in decode order, in a few batched reads', async () => {
    const path = await testVideo('h264-moov-end'); // video interleaved with AAC audio
    const blob = await fileBlob(path);
    const { table } = await demux(new ByteSource(blob, 'v'));
    const plan = planSampling(table, 8);
    const file = new Uint8Array(await blob.slice(0, blob.size).arrayBuffer());
    const source = new ByteSource(blob, 'v');
    const seen: number[] = [];
    for await (const { sample, data } of sampleBytes(source, table, plan.ranges)) {
      seen.push(sample);
      const at = table.offset[sample]!;
      expect(data, `sample ${sample}`).toEqual(file.subarray(at, at + table.size[sample]!));
    }
    const expected = plan.ranges.flatMap((r) =>
      Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i),
    );
    expect(seen).toEqual(expected);
    expect(source.reads).toBe(planReads(table, plan.ranges).length);
    expect(source.reads).toBeLessThan(seen.length / 4);
  });

  it('keeps batches within their limits and never joins samples out of file order', () => {
    const offsets = [0, 10, 20, 5000, 5010, 100, 110];
    const table = {
      offset: Float64Array.from(offsets),
      size: Uint32Array.from(offsets.map(() => 10)),
    } as unknown as Parameters<typeof planReads>[0];
    const batches = planReads(table, [{ first: 0, last: 6 }], { maxBatch: 25, maxGap: 100 });
    expect(batches.map((b) => [b.first, b.last])).toEqual([
      [0, 1], // 0..20 is 20 bytes; adding sample 2 would make 30 > 25
      [2, 2], // 5000 is 4980 bytes past: too far
      [3, 4],
      [5, 6], // 100 comes before 5010 in the file: a new read
    ]);
  });
});
