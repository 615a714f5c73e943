// The block-header walk (src/video/matroska-index.ts) on hand-made EBML bytes: SimpleBlocks and
// BlockGroups of a video track between another track's blocks, unknown sizes in 1-, 2- and 8-byte
// forms, lacing, a file cut at every byte, junk after and between clusters, no frames at all —
// and frame data that is jumped over, never read. Each frame's payload is filled with its own
// byte value, so an offset or size one byte off shows.
import { describe, expect, it } from 'vitest';
import { ByteSource, type BlobLike } from '../../src/video/byte-source.ts';
import {
  DEFAULT_READ_SIZES,
  EBML_ID,
  parseHead,
  walkBlocks,
  type BlockIndex,
  type WalkOptions,
} from '../../src/video/matroska-index.ts';

type Bytes = Uint8Array | readonly number[];
function concat(...parts: Bytes[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const idBytes = (id: number) => {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return out;
};
/** The smallest EBML size field for `n`. */
function sizeField(n: number): number[] {
  for (let w = 1; w <= 8; w++) {
    if (n < 2 ** (7 * w) - 1) {
      const out: number[] = [];
      let v = n;
      for (let k = 0; k < w; k++, v = Math.floor(v / 256)) out.unshift(v % 256);
      out[0]! |= 0x80 >> (w - 1);
      return out;
    }
  }
  throw new Error('too large');
}
const UNKNOWN = { 1: [0xff], 2: [0x7f, 0xff], 8: [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] };
const el = (id: number, ...children: Bytes[]) => {
  const data = concat(...children);
  return concat(idBytes(id), sizeField(data.length), data);
};
const unknownSize = (id: number, width: 1 | 2 | 8, ...children: Bytes[]) =>
  concat(idBytes(id), UNKNOWN[width], ...children);
const uint = (id: number, v: number) => el(id, v < 256 ? [v] : [v >> 8, v & 0xff]);

const ID = {
  ...EBML_ID,
  docType: 0x4282,
  info: 0x1549a966,
  tracks: 0x1654ae6b,
  cues: 0x1c53bb6b,
  void: 0xec,
};
const VIDEO = 1;
const AUDIO = 2;
/** A block's header (track, signed 16-bit time, flags) and `size` bytes of `fill`. */
const blockBody = (track: number, time: number, flags: number, size: number, fill: number) =>
  concat([0x80 | track, (time >> 8) & 0xff, time & 0xff, flags], new Uint8Array(size).fill(fill));
const simple = (track: number, time: number, key: boolean, size: number, fill: number) =>
  el(ID.simpleBlock, blockBody(track, time, key ? 0x80 : 0, size, fill));
const group = (time: number, size: number, fill: number, extra: Bytes[] = []) =>
  el(ID.blockGroup, el(ID.block, blockBody(VIDEO, time, 0, size, fill)), ...extra);
const header = el(ID.ebml, el(ID.docType, [0x77, 0x65, 0x62, 0x6d]));
const segmentHead = [el(ID.info, uint(0x2ad7b1, 1000)), el(ID.tracks, [0xae, 0x80])];
const file = (...clusters: Bytes[]) => concat(header, el(ID.segment, ...segmentHead, ...clusters));

function blob(bytes: Uint8Array, reads: [number, number][] = []): BlobLike {
  const whole = new Blob([bytes.slice()]);
  return {
    size: bytes.length,
    slice(start, end) {
      reads.push([start, end]);
      return whole.slice(start, end);
    },
  };
}

async function walk(bytes: Uint8Array, options: Partial<WalkOptions> = {}) {
  const progress: number[] = [];
  const reads: [number, number][] = [];
  const source = new ByteSource(blob(bytes, reads), 'test.webm');
  const result = await walkBlocks(source, {
    track: VIDEO,
    defaultDuration: 0,
    onProgress: (done) => progress.push(done),
    ...options,
  });
  return { result, progress, reads, source };
}

async function frames(bytes: Uint8Array, options: Partial<WalkOptions> = {}) {
  const { result } = await walk(bytes, options);
  if (result.kind !== 'index') throw new Error(`unwalkable: ${result.reason}`);
  return result.index;
}

/** The frames as plain rows, each checked to cover exactly the bytes of its fill value. */
function rows(index: BlockIndex, bytes: Uint8Array) {
  return Array.from({ length: index.count }, (_, i) => {
    const data = bytes.subarray(index.offset[i]!, index.offset[i]! + index.size[i]!);
    const fill = data[0];
    expect(
      data.every((b) => b === fill),
      `frame ${i}'s bytes are one frame's`,
    ).toBe(true);
    expect(
      bytes[index.offset[i]! + index.size[i]!],
      `frame ${i} ends where its data ends`,
    ).not.toBe(fill);
    return {
      cts: index.cts[i],
      key: index.sync[i] === 1,
      size: index.size[i],
      fill,
      duration: index.duration[i],
    };
  });
}

describe('parseHead', () => {
  it.each([
    [[0xa3, 0x85], { id: 0xa3, data: 2, size: 5 }],
    [[0x1f, 0x43, 0xb6, 0x75, 0x40, 0x02], { id: 0x1f43b675, data: 6, size: 2 }],
    [[0x1f, 0x43, 0xb6, 0x75, 0xff], { id: 0x1f43b675, data: 5, size: null }],
    [[0x1f, 0x43, 0xb6, 0x75, 0x7f, 0xff], { id: 0x1f43b675, data: 6, size: null }],
    [[0x1f, 0x43, 0xb6, 0x75, ...UNKNOWN[8]], { id: 0x1f43b675, data: 12, size: null }],
    [[0xa3, 0x01, 0, 0, 0, 0, 0, 0x01, 0x00], { id: 0xa3, data: 9, size: 256 }],
  ])('%j', (bytes, expected) => {
    expect(parseHead(Uint8Array.from(bytes), 0, 0)).toEqual({ start: 0, ...expected });
  });

  it('says short when the bytes end inside a header, bad when it cannot be one', () => {
    expect(parseHead(Uint8Array.from([0x1f, 0x43]), 0, 0)).toBe('short');
    expect(parseHead(Uint8Array.from([0xa3]), 0, 0)).toBe('short');
    expect(parseHead(Uint8Array.from([0xa3, 0x40]), 0, 0)).toBe('short');
    expect(parseHead(Uint8Array.from([0x00, 0x81]), 0, 0)).toBe('bad'); // ID wider than 4 bytes
    expect(parseHead(Uint8Array.from([0x08, 1, 1, 1, 0x81]), 0, 0)).toBe('bad');
    expect(parseHead(Uint8Array.from([0xa3, 0x00, 1, 1, 1, 1, 1, 1, 1, 1]), 0, 0)).toBe('bad');
  });
});

describe('walkBlocks', () => {
  const twoClusters = file(
    el(
      ID.cluster,
      uint(ID.timestamp, 0),
      simple(VIDEO, 0, true, 40, 1),
      simple(AUDIO, 0, true, 30, 99),
      simple(VIDEO, 66, false, 20, 2),
      simple(VIDEO, 33, false, 25, 3), // shown before the one above (a B-frame)
      el(ID.void, [0, 0, 0]),
    ),
    el(
      ID.cluster,
      uint(ID.timestamp, 1000),
      simple(AUDIO, -10, true, 30, 98),
      simple(VIDEO, -1, true, 50, 4), // negative relative times are allowed
      simple(VIDEO, 32, false, 10, 5),
    ),
  );

  it("lists the video track's SimpleBlocks with exact times, keyframes and data ranges", async () => {
    const index = await frames(twoClusters, { defaultDuration: 33 });
    expect(rows(index, twoClusters)).toEqual([
      { cts: 0, key: true, size: 40, fill: 1, duration: 33 },
      { cts: 66, key: false, size: 20, fill: 2, duration: 33 },
      { cts: 33, key: false, size: 25, fill: 3, duration: 33 },
      { cts: 999, key: true, size: 50, fill: 4, duration: 33 },
      { cts: 1032, key: false, size: 10, fill: 5, duration: 33 },
    ]);
  });

  it('reports progress rising to the file size', async () => {
    const { progress, source } = await walk(twoClusters);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(source.size);
  });

  it('reads BlockGroups: BlockDuration, and ReferenceBlock for a frame that is not a keyframe', async () => {
    const bytes = file(
      el(
        ID.cluster,
        uint(ID.timestamp, 500),
        group(0, 30, 1, [uint(ID.blockDuration, 40)]),
        group(40, 20, 2, [el(ID.referenceBlock, [0xd8])]),
        el(ID.blockGroup, el(ID.block, blockBody(AUDIO, 0, 0, 10, 97)), uint(ID.blockDuration, 20)),
        group(80, 20, 3, [el(ID.referenceBlock, [0xd8]), uint(ID.blockDuration, 41)]),
      ),
    );
    expect(rows(await frames(bytes, { defaultDuration: 7 }), bytes)).toEqual([
      { cts: 500, key: true, size: 30, fill: 1, duration: 40 },
      { cts: 540, key: false, size: 20, fill: 2, duration: 7 },
      { cts: 580, key: false, size: 20, fill: 3, duration: 41 },
    ]);
  });

  it.each([1, 2, 8] as const)(
    'follows unknown sizes (%i-byte form): a Cluster ends at the next Cluster, or at Cues',
    async (width) => {
      const bytes = concat(
        header,
        unknownSize(
          ID.segment,
          width,
          ...segmentHead,
          unknownSize(ID.cluster, width, uint(ID.timestamp, 0), simple(VIDEO, 0, true, 30, 1)),
          unknownSize(
            ID.cluster,
            width,
            uint(ID.timestamp, 100),
            simple(AUDIO, 0, true, 20, 90),
            simple(VIDEO, 0, false, 30, 2),
          ),
          el(ID.cues, el(0xbb, uint(0xb3, 0))),
          unknownSize(ID.cluster, width, uint(ID.timestamp, 200), simple(VIDEO, 5, false, 30, 3)),
        ),
      );
      expect(rows(await frames(bytes), bytes).map((r) => [r.cts, r.fill])).toEqual([
        [0, 1],
        [100, 2],
        [205, 3],
      ]);
    },
  );

  it('gives up on laced video blocks (for mediabunny to index), not on laced audio', async () => {
    const laced = (track: number) =>
      file(
        el(
          ID.cluster,
          uint(ID.timestamp, 0),
          simple(VIDEO, 0, true, 10, 1),
          el(ID.simpleBlock, blockBody(track, 10, 0x80 | 0x06, 12, 7)), // EBML lacing
        ),
      );
    expect((await walk(laced(VIDEO))).result).toEqual({
      kind: 'unwalkable',
      reason: 'laced video blocks',
    });
    expect((await frames(laced(AUDIO))).count).toBe(1);
  });

  it("gives up on a block before its cluster's Timestamp", async () => {
    const bytes = file(el(ID.cluster, simple(VIDEO, 0, true, 10, 1), uint(ID.timestamp, 0)));
    expect((await walk(bytes)).result.kind).toBe('unwalkable');
  });

  it('lists no frames for a header alone, or for clusters of other tracks only', async () => {
    expect((await frames(file())).count).toBe(0);
    expect((await frames(concat(header))).count).toBe(0);
    const audio = file(el(ID.cluster, uint(ID.timestamp, 0), simple(AUDIO, 0, true, 10, 1)));
    expect((await frames(audio)).count).toBe(0);
  });

  it('keeps the complete frames of a file cut at any byte, and drops a frame cut short', async () => {
    const whole = rows(await frames(twoClusters), twoClusters);
    let before = 0;
    for (let cut = 0; cut <= twoClusters.length; cut++) {
      const bytes = twoClusters.subarray(0, cut);
      const index = await frames(bytes);
      // A prefix of the whole file's frames, each of whose data is there in full.
      expect(rows(index, twoClusters), `cut at ${cut}`).toEqual(whole.slice(0, index.count));
      for (let i = 0; i < index.count; i++) {
        expect(index.offset[i]! + index.size[i]!).toBeLessThanOrEqual(cut);
      }
      expect(index.count).toBeGreaterThanOrEqual(before);
      before = index.count;
    }
    expect(before).toBe(whole.length);
  });

  it('cuts a truncated last block, not the frames before it', async () => {
    const bytes = twoClusters.subarray(0, twoClusters.length - 3); // inside frame 5's data
    expect((await frames(bytes)).count).toBe(4);
  });

  it('ends at junk after the last cluster, and resyncs at the next Cluster after damage', async () => {
    const count = (await frames(twoClusters)).count;
    const junk = (n: number, byte: number) => new Array(n).fill(byte);
    const random = Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    for (const tail of [junk(300, 0x42), junk(300, 0), junk(300, 0xff), random]) {
      const bytes = concat(twoClusters, tail);
      expect((await frames(bytes)).count, `tail of ${tail[0]}…`).toBe(count);
    }
    // Live-muxed (unknown sizes): the junk is inside the last Cluster as far as sizes tell.
    const live = (tail: number[]) =>
      concat(
        header,
        unknownSize(
          ID.segment,
          8,
          ...segmentHead,
          unknownSize(ID.cluster, 8, uint(ID.timestamp, 0), simple(VIDEO, 0, true, 30, 1)),
          tail,
        ),
      );
    for (const tail of [junk(300, 0x42), junk(300, 0), random]) {
      expect((await frames(live(tail))).count).toBe(1);
    }
    // Damage between two clusters: the second is found again.
    const damaged = concat(
      header,
      unknownSize(
        ID.segment,
        1,
        ...segmentHead,
        el(ID.cluster, uint(ID.timestamp, 0), simple(VIDEO, 0, true, 30, 1)),
        junk(5000, 0),
        el(ID.cluster, uint(ID.timestamp, 100), simple(VIDEO, 0, true, 30, 2)),
      ),
    );
    expect(rows(await frames(damaged), damaged).map((r) => r.fill)).toEqual([1, 2]);
  });

  it('finishes on damaged bytes anywhere (never stalls), listing only frames inside the file', async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 256;
    const outcomes = new Set<string>();
    for (let n = 0; n < 400; n++) {
      const bytes = twoClusters.slice();
      for (let k = 0; k < 1 + (n % 3); k++) {
        bytes[Math.floor((random() / 256) * bytes.length)] = Math.floor(random());
      }
      const { result } = await walk(bytes);
      outcomes.add(result.kind);
      if (result.kind !== 'index') continue;
      for (let i = 0; i < result.index.count; i++) {
        expect(result.index.offset[i]! + result.index.size[i]!).toBeLessThanOrEqual(bytes.length);
      }
    }
    expect(outcomes.has('index')).toBe(true);
  });

  it('jumps over frame data: large frames are indexed from a small part of the file', async () => {
    const big = 256 * 1024;
    const clusters = Array.from({ length: 4 }, (_, c) =>
      el(
        ID.cluster,
        uint(ID.timestamp, c * 100),
        ...Array.from({ length: 3 }, (_, k) => [
          simple(VIDEO, k * 33, k === 0, big, 1 + c * 3 + k),
          simple(AUDIO, k * 33, true, 200, 200),
        ]).flat(),
      ),
    );
    const bytes = file(...clusters);
    const { result, reads, source } = await walk(bytes);
    expect(result.kind === 'index' && result.index.count).toBe(12);
    expect(source.bytesRead).toBeLessThan(bytes.length / 20);
    // No read starts inside a frame's data.
    const index = (result as { index: BlockIndex }).index;
    for (const [start] of reads) {
      for (let i = 0; i < index.count; i++) {
        const inside = start > index.offset[i]! && start < index.offset[i]! + index.size[i]!;
        expect(inside, `read at ${start} inside frame ${i}`).toBe(false);
      }
    }
    // Small frames are read through, in reads of the read-ahead size.
    const small = file(
      el(
        ID.cluster,
        uint(ID.timestamp, 0),
        ...Array.from({ length: 2000 }, (_, k) => simple(VIDEO, k, k === 0, 100, k % 200)),
      ),
    );
    const dense = await walk(small);
    expect(dense.source.reads).toBeLessThanOrEqual(
      Math.ceil(small.length / DEFAULT_READ_SIZES.ahead) + 2,
    );
  });
});
