// Demux a WebM or Matroska (MKV) file by byte ranges, behind the same interface mp4box serves for
// MP4 and MOV: the video track's facts, its sample table (every frame's exact presentation time,
// keyframe flag, byte offset and size, in decode order) and, as for MP4, the planned frames read
// by those offsets (sample-bytes.ts). Every byte goes through the ByteSource (counted, never the
// whole file at once); the table keeps 37 bytes a frame. Audio and other tracks are ignored.
// Never decodes.
//
// mediabunny, a well-kept library, reads the header: the EBML DocType, Info, Tracks, CodecPrivate
// and the WebCodecs configuration (for VP9 and AV1 from the first frame, so it reads the first
// cluster). It has no way to list blocks without reading each cluster whole, so the frame index
// comes from our own walk over cluster and block headers (matroska-index.ts), which jumps over
// every frame's data. The table comes from the frames themselves, never from the header's
// Duration (recordings say 0, nothing, or a wrong number) nor from the Cues (often missing), and
// needs neither to seek: each frame's byte range is known. A file the walk does not understand
// (laced video, a header-stripping ContentEncoding, a block before its cluster's Timestamp) is
// indexed the former way instead, through mediabunny's packets (`indexedBy` says which), and its
// frames are then fetched through mediabunny too, by the Cues where the file has them.

import {
  CustomSource,
  EncodedPacketSink,
  Input,
  MATROSKA,
  WEBM,
  type EncodedPacket,
  type InputVideoTrack,
} from 'mediabunny';
import type { ByteSource } from './byte-source.ts';
import type { DemuxedVideo } from './demux.ts';
import { videoErrors } from './errors.ts';
import { walkBlocks, type BlockIndex, type ReadSizes } from './matroska-index.ts';
import type { DecodeRange } from './plan.ts';
import type { SampleBytes } from './sample-bytes.ts';
import type { SampleTable } from './sample-table.ts';

/** The EBML magic that every WebM and Matroska file starts with. */
export function isEbml(head: Uint8Array): boolean {
  return head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
}

/** What mediabunny may keep of the file at once; a cluster larger than this is still read. */
const CACHE_BYTES = 8 * 2 ** 20;

/** How to list the frames: by the block walk (the default), or through mediabunny's packets. */
export interface MatroskaOptions {
  readonly index?: 'block-headers' | 'mediabunny';
  /** The walk's read sizes (matroska-index.ts); for measuring them. */
  readonly readSizes?: ReadSizes;
}

export async function demuxMatroska(
  source: ByteSource,
  onProgress?: (done: number, total: number) => void,
  options: MatroskaOptions = {},
): Promise<DemuxedVideo> {
  const { name, size } = source;
  // Progress is how far the frames have been listed: the walk's position, or the furthest byte
  // mediabunny's packet listing has read. mediabunny's header reads (the Cues at the end of the
  // file among them) are not progress.
  let furthest = 0;
  let listing = false;
  const reached = (pos: number) => {
    if (!listing) return;
    furthest = Math.max(furthest, pos);
    onProgress?.(Math.min(furthest, size), size);
  };
  let failure: unknown = null;
  const input = new Input({
    formats: [WEBM, MATROSKA],
    source: new CustomSource({
      getSize: () => size,
      read: async (start, end) => {
        const bytes = await source.read(start, end - start);
        reached(start + bytes.length);
        return bytes;
      },
      maxCacheSize: CACHE_BYTES,
      prefetchProfile: 'none',
      handleUnhandledError: (e) => (failure ??= e),
    }),
  });
  try {
    const format = await input.getFormat();
    const container = format === WEBM ? 'webm' : 'mkv';
    const track = await videoTrack(input, name);
    const config = await decoderConfigOf(track, name);
    // Ticks of the segment's TimestampScale (1 ms in most files): every frame time is a whole
    // number of them, so the table's times are exact.
    const timescale = await track.getTimeResolution();
    const facts =
      options.index === 'mediabunny' ? 'asked for mediabunny' : walkFacts(track, timescale);
    listing = true;
    const walk =
      typeof facts === 'string'
        ? ({ kind: 'unwalkable', reason: facts } as const)
        : await walkBlocks(source, {
            ...facts,
            ...(options.readSizes ? { sizes: options.readSizes } : {}),
            onProgress: (done) => reached(done),
          });
    const sink = new EncodedPacketSink(track);
    const table =
      walk.kind === 'index'
        ? frameTable(walk.index, timescale, name)
        : frameTable(await packetFrames(sink, timescale), timescale, name);
    onProgress?.(size, size);
    if (failure) throw failure;
    const video: DemuxedVideo = {
      container,
      codec: config.codec,
      width: await track.getCodedWidth(),
      height: await track.getCodedHeight(),
      rotation: await track.getRotation(),
      fragmented: false,
      table,
      description: descriptionOf(config),
      config,
      ...(walk.kind === 'index'
        ? { indexedBy: { kind: 'block-headers' } as const }
        : {
            indexedBy: { kind: 'mediabunny', reason: walk.reason } as const,
            samples: (ranges: readonly DecodeRange[]) => rangeSamples(sink, table, ranges, name),
          }),
      close: () => input.dispose(),
    };
    return video;
  } catch (e) {
    input.dispose();
    throw asVideoError(e, name);
  }
}

/** Our own errors and aborts pass; anything mediabunny throws means the file is damaged. */
function asVideoError(e: unknown, name: string): unknown {
  if ((e as { code?: unknown }).code !== undefined || (e as Error).name === 'AbortError') return e;
  return videoErrors.corrupt(name, 'its Matroska structure could not be parsed', e);
}

async function videoTrack(input: Input, name: string): Promise<InputVideoTrack> {
  const track = await input.getPrimaryVideoTrack();
  if (track) return track;
  const kinds: Record<string, string> = {
    audio: 'an audio track',
    subtitle: 'a subtitle track',
  };
  const others = (await input.getTracks()).map((t) => kinds[t.type] ?? 'a track of another kind');
  throw videoErrors.noVideoTrack(name, [...new Set(others)]);
}

/** The WebCodecs configuration mediabunny derives from the track (CodecPrivate, first frame). */
async function decoderConfigOf(track: InputVideoTrack, name: string): Promise<VideoDecoderConfig> {
  const codecId = String(track.internalCodecId ?? 'an unknown codec');
  if ((await track.getCodec()) === null) {
    throw videoErrors.unsupportedCodec(name, codecId, 'kvtp-web does not read it');
  }
  const config = await track.getDecoderConfig();
  if (!config) throw videoErrors.unsupportedCodec(name, codecId, 'its setup could not be read');
  return config;
}

function descriptionOf(config: VideoDecoderConfig): Uint8Array | null {
  const d = config.description;
  if (!d) return null;
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  return new Uint8Array(d).slice();
}

/** The internals of mediabunny's track the walk needs: its TrackNumber and DefaultDuration. */
interface InternalTrack {
  readonly id: number;
  readonly defaultDurationNs: number | null;
  readonly decodingInstructions: readonly unknown[];
  readonly segment: unknown;
  readonly demuxer: { readonly segments: readonly unknown[] };
}

/**
 * What the block walk needs to know of the track (DefaultDuration in ticks), or why the file must
 * be indexed through mediabunny's packets instead: mediabunny's public API gives neither the
 * TrackNumber of a block nor the DefaultDuration, so they are read from its track object.
 */
function walkFacts(
  track: InputVideoTrack,
  timescale: number,
): { track: number; defaultDuration: number } | string {
  const internal = (track as unknown as { _backing?: { internalTrack?: InternalTrack } })._backing
    ?.internalTrack;
  if (!internal || typeof internal.id !== 'number' || !internal.demuxer) {
    return 'mediabunny does not show the track number';
  }
  if (internal.decodingInstructions.length > 0) {
    return 'the track has a ContentEncoding (header stripping)';
  }
  if (internal.segment !== internal.demuxer.segments[0]) return 'the track is in a later Segment';
  const ns = internal.defaultDurationNs;
  return { track: internal.id, defaultDuration: ns ? Math.round((ns * timescale) / 1e9) : 0 };
}

/** The frames as mediabunny lists them (reading each cluster whole); its offsets are sequence numbers. */
async function packetFrames(sink: EncodedPacketSink, timescale: number): Promise<BlockIndex> {
  const cols = { cts: new Grow(), duration: new Grow(), seq: new Grow(), sync: [] as number[] };
  for await (const p of sink.packets(undefined, undefined, { metadataOnly: true })) {
    cols.cts.push(Math.round(p.timestamp * timescale));
    cols.duration.push(Math.round(p.duration * timescale));
    cols.seq.push(p.sequenceNumber);
    cols.sync.push(p.type === 'key' ? 1 : 0);
  }
  const count = cols.sync.length;
  return {
    count,
    cts: cols.cts.done(),
    duration: cols.duration.done(),
    // Frames are then fetched through mediabunny, not by offset: the offset column holds its
    // sequence number of each frame (unique, increasing in decode order).
    offset: cols.seq.done(),
    size: new Uint32Array(count),
    sync: Uint8Array.from(cols.sync),
  };
}

/**
 * The sample table of the frames, in decode order. A frame's duration is the gap to the next
 * shown frame; the last one keeps its own (BlockDuration or DefaultDuration) or, without one, the
 * one before it.
 */
function frameTable(frames: BlockIndex, timescale: number, name: string): SampleTable {
  const { count, cts, duration } = frames;
  if (count === 0) {
    throw videoErrors.corrupt(
      name,
      'it has a header but no frames after it (a cut-off recording?)',
    );
  }
  const shown = Uint32Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => cts[a]! - cts[b]! || a - b,
  );
  for (let k = 0; k + 1 < count; k++) duration[shown[k]!] = cts[shown[k + 1]!]! - cts[shown[k]!]!;
  const lastShown = shown[count - 1]!;
  if (!(duration[lastShown]! > 0))
    duration[lastShown] = count > 1 ? duration[shown[count - 2]!]! : 1;
  const start = cts[shown[0]!]!;
  const end = cts[lastShown]! + duration[lastShown]!;
  return {
    timescale,
    count,
    dts: Float64Array.from({ length: count }, (_, i) => i),
    cts,
    duration,
    offset: frames.offset,
    size: frames.size,
    sync: frames.sync,
    start,
    end,
  };
}

/** The frames of each range in decode order, with their data, found through the Cues. */
async function* rangeSamples(
  sink: EncodedPacketSink,
  table: SampleTable,
  ranges: readonly DecodeRange[],
  name: string,
): AsyncGenerator<SampleBytes> {
  for (const { first, last } of ranges) {
    let packet = await packetAt(sink, table, first, name);
    for (let s = first; ; s++) {
      if (packet.sequenceNumber !== table.offset[s]) throw lost(name, table, s);
      yield { sample: s, data: packet.data };
      if (s === last) break;
      const next = await sink.getNextPacket(packet);
      if (!next) throw lost(name, table, s + 1);
      packet = next;
    }
  }
}

/** Frame `s` of the table, with its data: the shown frame at its time, or a neighbour's. */
async function packetAt(
  sink: EncodedPacketSink,
  table: SampleTable,
  s: number,
  name: string,
): Promise<EncodedPacket> {
  const seconds = table.cts[s]! / table.timescale;
  const atTime = await sink.getPacket(seconds);
  if (atTime && atTime.sequenceNumber === table.offset[s]) return atTime;
  // Another frame shares its time (or rounding met another): walk from the keyframe before it.
  let p: EncodedPacket | null = await sink.getKeyPacket(seconds);
  while (p && p.sequenceNumber < table.offset[s]!) p = await sink.getNextPacket(p);
  if (p && p.sequenceNumber === table.offset[s]) return p;
  throw lost(name, table, s);
}

const lost = (name: string, table: SampleTable, s: number) =>
  videoErrors.corrupt(
    name,
    `its frame at ${((table.cts[s]! - table.start) / table.timescale).toFixed(3)} s could not be found again`,
  );

/** A growing column of numbers (doubling), handed out as a Float64Array of its length. */
class Grow {
  private data = new Float64Array(1024);
  private length = 0;
  push(v: number) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): Float64Array {
    return this.data.slice(0, this.length);
  }
}
