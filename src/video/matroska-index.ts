// The frame index of a WebM or Matroska file from its cluster and block headers alone: every
// video frame's time (in TimestampScale ticks, exact), keyframe flag, duration where the file
// gives one, and the byte offset and size of its data. Reads element headers through the
// ByteSource with a small read-ahead and jumps over every block's data without reading it (a
// frame larger than the read-ahead is never read at all), so a file of large frames is indexed
// from a small fraction of its bytes. Never parses Tracks or codec setup (mediabunny does that),
// never decodes, never reads a file whole, and every step moves forward (no loop without progress).
//
// Understood: unknown sizes (any width, as live muxers and MediaRecorder write them) for the
// Segment and Clusters, an unknown-size Cluster ending where the next top-level element starts,
// SimpleBlocks and BlockGroups (Block, BlockDuration, ReferenceBlock), other tracks' blocks
// (skipped, laced or not), a truncated last cluster (its complete frames kept, a frame cut short
// dropped), junk or damage between clusters (a bounded search for the next Cluster). Not
// understood, so reported as `unwalkable` for the caller to index another way: laced video blocks
// and blocks before their cluster's Timestamp.

import type { ByteSource } from './byte-source.ts';

export const EBML_ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  cluster: 0x1f43b675,
  timestamp: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
  blockDuration: 0x9b,
  referenceBlock: 0xfb,
} as const;

/** Elements of levels 0 and 1: where an unknown-size (or oversized) Cluster ends. */
const TOP_LEVEL = new Set([
  EBML_ID.ebml,
  EBML_ID.segment,
  EBML_ID.cluster,
  0x114d9b74, // SeekHead
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  0x1c53bb6b, // Cues
  0x1941a469, // Attachments
  0x1043a770, // Chapters
  0x1254c367, // Tags
]);

/** Longest stretch searched for the next Cluster after damage (as mediabunny's resync). */
const RESYNC_BYTES = 2 * 2 ** 20;
/** An element header (ID ≤ 4 bytes, size ≤ 8) and a block header (track ≤ 8, time 2, flags 1). */
const HEAD_BYTES = 12 + 11;

export interface ReadSizes {
  /**
   * Bytes read at a header among small blocks; doubled at each such read, up to `most` and to
   * 1/128 of the file (progress then moves in steps under 1 %).
   */
  readonly ahead: number;
  readonly most: number;
  /** Bytes read at a header right after a large block (the next header is likely alone). */
  readonly afterLarge: number;
  /** A block at least this large counts as large. */
  readonly large: number;
}

/**
 * Chosen by measuring (README, Benchmarks): on the 30-minute VP9 WebM of bench:ingest (3.4 KB a
 * frame) every read holds many headers, and a read costs about a millisecond in Chromium's
 * worker, so the reads grow to 4 MiB (as sample-bytes.ts batches) or 1/128 of the file; on a 720p 8 Mbit/s recording
 * (30 KB a frame) each header is read with 4 KiB and the frame's data is jumped over.
 */
export const DEFAULT_READ_SIZES: ReadSizes = {
  ahead: 64 * 2 ** 10,
  most: 4 * 2 ** 20,
  afterLarge: 4 * 2 ** 10,
  large: 16 * 2 ** 10,
};

/** The video frames in decode (file) order, as typed columns. */
export interface BlockIndex {
  readonly count: number;
  /** Presentation time in ticks of the segment's TimestampScale. */
  readonly cts: Float64Array;
  /** BlockDuration, else the track's DefaultDuration, in ticks; 0 when the file gives neither. */
  readonly duration: Float64Array;
  /** File offset and size of the frame's data (the block's payload after its header). */
  readonly offset: Float64Array;
  readonly size: Uint32Array;
  readonly sync: Uint8Array;
}

export interface WalkOptions {
  /** The video track's TrackNumber. */
  readonly track: number;
  /** The track's DefaultDuration in ticks (0 when it has none). */
  readonly defaultDuration: number;
  readonly sizes?: ReadSizes;
  onProgress?(done: number, total: number): void;
}

export type BlockWalk =
  | { readonly kind: 'index'; readonly index: BlockIndex }
  | { readonly kind: 'unwalkable'; readonly reason: string };

/** Walk the first Segment's clusters and list the video track's frames. */
export async function walkBlocks(source: ByteSource, options: WalkOptions): Promise<BlockWalk> {
  const walker = new Walker(source, options);
  try {
    await walker.walk();
  } catch (e) {
    if (e instanceof Unwalkable) return { kind: 'unwalkable', reason: e.message };
    throw e;
  }
  options.onProgress?.(source.size, source.size);
  return { kind: 'index', index: walker.frames.done() };
}

class Unwalkable extends Error {}

/** An element header: its ID, where it starts, where its data starts, its size (null: unknown). */
export interface ElementHead {
  readonly id: number;
  readonly start: number;
  readonly data: number;
  readonly size: number | null;
}

/**
 * The element header at `b[i]` (file position `at`): 'short' when `b` ends inside it, 'bad' when
 * it cannot be a header (an ID longer than 4 bytes, a size longer than 8, a size beyond 2^53).
 */
export function parseHead(b: Uint8Array, i: number, at: number): ElementHead | 'short' | 'bad' {
  if (i >= b.length) return 'short';
  const idWidth = Math.clz32(b[i]!) - 23;
  if (idWidth < 1 || idWidth > 4) return 'bad';
  if (i + idWidth >= b.length) return 'short';
  let id = 0;
  for (let k = 0; k < idWidth; k++) id = id * 256 + b[i + k]!;
  const s = i + idWidth;
  const sizeWidth = Math.clz32(b[s]!) - 23;
  if (sizeWidth < 1 || sizeWidth > 8) return 'bad';
  if (s + sizeWidth > b.length) return 'short';
  let size = b[s]! & (0xff >> sizeWidth);
  let allOnes = size === 0xff >> sizeWidth;
  for (let k = 1; k < sizeWidth; k++) {
    size = size * 256 + b[s + k]!;
    allOnes &&= b[s + k] === 0xff;
  }
  if (!allOnes && size > Number.MAX_SAFE_INTEGER) return 'bad';
  const head = idWidth + sizeWidth;
  return { id, start: at, data: at + head, size: allOnes ? null : size };
}

/**
 * A buffer of the file's bytes at one place, refilled at a new place when a read falls outside:
 * with a little after a large block (whose data was jumped over), else with more each time.
 */
class Window {
  private start = 0;
  private bytes = new Uint8Array(0);
  private furthest = 0;
  private ahead = 0;
  private lastSkipped = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly sizes: ReadSizes,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  /** Up to `length` bytes at `at` (fewer only at the end of the file), and their index in them. */
  async at(at: number, length: number): Promise<{ b: Uint8Array; i: number; end: number }> {
    const i = at - this.start;
    const end = this.start + this.bytes.length;
    if (i < 0 || (at + length > end && end < this.source.size)) {
      const { ahead, afterLarge, large } = this.sizes;
      const most = Math.max(ahead, Math.min(this.sizes.most, Math.floor(this.source.size / 128)));
      this.ahead =
        this.lastSkipped >= large ? afterLarge : Math.min(most, Math.max(ahead, this.ahead * 2));
      this.start = at;
      this.bytes = await this.source.read(at, Math.max(length, this.ahead));
      this.furthest = Math.max(this.furthest, at + this.bytes.length);
      this.onProgress?.(Math.min(this.furthest, this.source.size), this.source.size);
      return { b: this.bytes, i: 0, end: this.start + this.bytes.length };
    }
    return { b: this.bytes, i, end };
  }

  /** The walk went past an element of `size` bytes. */
  skipped(size: number) {
    this.lastSkipped = size;
  }
}

class Walker {
  readonly frames = new FrameColumns();
  private readonly window: Window;
  private readonly size: number;

  constructor(
    private readonly source: ByteSource,
    private readonly options: WalkOptions,
  ) {
    this.window = new Window(source, options.sizes ?? DEFAULT_READ_SIZES, options.onProgress);
    this.size = source.size;
  }

  private async head(at: number): Promise<ElementHead | 'short' | 'bad'> {
    const { b, i } = await this.window.at(at, HEAD_BYTES);
    return parseHead(b, i, at);
  }

  async walk(): Promise<void> {
    const ebml = await this.head(0);
    if (ebml === 'short') return; // cut inside its header: no frames
    if (ebml === 'bad' || ebml.id !== EBML_ID.ebml || ebml.size === null) {
      throw new Unwalkable('no EBML header');
    }
    let pos = ebml.data + ebml.size;
    let segment: ElementHead | 'short' | 'bad';
    for (;;) {
      segment = await this.head(pos);
      if (typeof segment === 'string') return; // nothing after the header: no frames
      if (segment.id === EBML_ID.segment) break;
      if (segment.size === null) throw new Unwalkable('an unknown-size element before the Segment');
      pos = segment.data + segment.size;
    }
    const end =
      segment.size === null ? this.size : Math.min(this.size, segment.data + segment.size);
    pos = segment.data;
    while (pos < end) {
      const h = await this.head(pos);
      if (h === 'short') return;
      if (h === 'bad' || (h.size === null && h.id !== EBML_ID.cluster)) {
        const next = await this.resync(pos + 1, end);
        if (next === null) return;
        pos = next;
      } else if (h.id === EBML_ID.cluster) {
        pos = await this.cluster(h, end);
      } else if (h.id === EBML_ID.ebml || h.id === EBML_ID.segment) {
        return; // a second Segment (chained files): not read, as mediabunny reads the first
      } else {
        pos = h.data + h.size!; // SeekHead, Info, Tracks, Cues, Tags, Void…: jumped over
      }
    }
  }

  /** List a Cluster's frames; resolves to where the element after it starts. */
  private async cluster(cluster: ElementHead, segmentEnd: number): Promise<number> {
    const end =
      cluster.size === null ? segmentEnd : Math.min(segmentEnd, cluster.data + cluster.size);
    let timestamp: number | null = null;
    let pos = cluster.data;
    while (pos < end) {
      const h = await this.head(pos);
      if (h === 'short') return this.size; // the file ends here
      // Damage, or the next top-level element (an unknown-size Cluster ends there; a Cluster that
      // claims more than it holds, too): the segment's walk goes on from here.
      if (h === 'bad' || h.size === null || TOP_LEVEL.has(h.id)) return pos;
      const next = h.data + h.size;
      if (next > this.size) return this.size; // cut short by the end of the file: dropped
      if (h.id === EBML_ID.timestamp) timestamp = await this.uint(h);
      else if (h.id === EBML_ID.simpleBlock) await this.simpleBlock(h, timestamp);
      else if (h.id === EBML_ID.blockGroup) await this.blockGroup(h, timestamp);
      this.window.skipped(next - pos);
      pos = next;
    }
    return end;
  }

  private async simpleBlock(h: ElementHead, clusterTime: number | null): Promise<void> {
    const block = await this.blockHead(h);
    if (!block) return;
    this.frames.push(
      this.time(clusterTime, block.relative),
      this.options.defaultDuration,
      block.data,
      h.data + h.size! - block.data,
      (block.flags & 0x80) !== 0,
    );
  }

  private async blockGroup(group: ElementHead, clusterTime: number | null): Promise<void> {
    const end = group.data + group.size!;
    let block: { data: number; size: number; relative: number } | null = null;
    let duration = this.options.defaultDuration;
    let key = true;
    for (let pos = group.data; pos < end;) {
      const h = await this.head(pos);
      if (typeof h === 'string' || h.size === null || h.data + h.size > end) return; // damaged
      if (h.id === EBML_ID.block) {
        const head = await this.blockHead(h);
        if (!head) return; // another track's
        block = { data: head.data, size: h.data + h.size - head.data, relative: head.relative };
      } else if (h.id === EBML_ID.blockDuration) duration = await this.uint(h);
      else if (h.id === EBML_ID.referenceBlock) key = false;
      this.window.skipped(h.size);
      pos = h.data + h.size;
    }
    if (!block) return;
    this.frames.push(this.time(clusterTime, block.relative), duration, block.data, block.size, key);
  }

  /** The block header of a (Simple)Block of the video track, or null for another track's. */
  private async blockHead(h: ElementHead) {
    const { b, i, end } = await this.window.at(h.data, 11);
    const width = Math.clz32(b[i] ?? 0) - 23;
    if (width < 1 || width > 8 || h.data + width + 3 > Math.min(end, h.data + h.size!)) {
      throw new Unwalkable('a block header that cannot be read');
    }
    let track = b[i]! & (0xff >> width);
    for (let k = 1; k < width; k++) track = track * 256 + b[i + k]!;
    if (track !== this.options.track) return null;
    const t = i + width;
    const relative = ((b[t]! << 24) >> 16) | b[t + 1]!; // a signed 16-bit number
    const flags = b[t + 2]!;
    if ((flags >> 1) & 3) throw new Unwalkable('laced video blocks');
    return { relative, flags, data: h.data + width + 3 };
  }

  private time(clusterTime: number | null, relative: number): number {
    if (clusterTime === null) throw new Unwalkable('a block before its cluster’s Timestamp');
    return clusterTime + relative;
  }

  private async uint(h: ElementHead): Promise<number> {
    const length = h.size!;
    if (length > 7) throw new Unwalkable('an integer wider than 7 bytes');
    const { b, i } = await this.window.at(h.data, length);
    let v = 0;
    for (let k = 0; k < length; k++) v = v * 256 + (b[i + k] ?? 0);
    return v;
  }

  /** Where the next Cluster ID is in [from, min(until, from + RESYNC_BYTES)), or null. */
  private async resync(from: number, until: number): Promise<number | null> {
    const stop = Math.min(until, this.size, from + RESYNC_BYTES);
    for (let pos = from; pos + 4 <= stop;) {
      const { b, i, end } = await this.window.at(pos, Math.min(64 * 1024, stop - pos));
      const last = Math.min(end, stop) - 4;
      for (let p = pos; p <= last; p++) {
        const k = i + p - pos;
        if (b[k] === 0x1f && b[k + 1] === 0x43 && b[k + 2] === 0xb6 && b[k + 3] === 0x75) return p;
      }
      if (last < pos) return null;
      pos = last + 1;
    }
    return null;
  }
}

/** Growing typed columns of frames (doubling), handed out at their length. */
class FrameColumns {
  private n = 0;
  private cts = new Float64Array(1024);
  private duration = new Float64Array(1024);
  private offset = new Float64Array(1024);
  private size = new Uint32Array(1024);
  private sync = new Uint8Array(1024);

  push(cts: number, duration: number, offset: number, size: number, key: boolean) {
    if (this.n === this.cts.length) {
      const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.cts = grow(this.cts);
      this.duration = grow(this.duration);
      this.offset = grow(this.offset);
      this.size = grow(this.size);
      this.sync = grow(this.sync);
    }
    const i = this.n++;
    this.cts[i] = cts;
    this.duration[i] = duration;
    this.offset[i] = offset;
    this.size[i] = size;
    this.sync[i] = key ? 1 : 0;
  }

  done(): BlockIndex {
    const n = this.n;
    return {
      count: n,
      cts: this.cts.slice(0, n),
      duration: this.duration.slice(0, n),
      offset: this.offset.slice(0, n),
      size: this.size.slice(0, n),
      sync: this.sync.slice(0, n),
    };
  }
}
