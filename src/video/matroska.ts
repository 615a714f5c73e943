// Demux a WebM or Matroska (MKV) file by byte ranges with mediabunny, behind the same interface
// mp4box serves for MP4 and MOV: the video track's facts, its sample table (every frame's exact
// presentation time and keyframe flag, in decode order) and a reader that hands the decoder the
// frames of planned decode ranges. Every byte goes through the ByteSource (counted, never the
// whole file at once); mediabunny holds at most one cluster (its cache is bounded) and this
// module 37 bytes a frame. Audio and other tracks are ignored. Never decodes.
//
// The table comes from the frames themselves, never from the header's Duration (recordings say
// 0, nothing, or a wrong number) nor from the Cues (often missing): mediabunny walks the clusters
// one after the other, whatever their sizes (unknown sizes in live-muxed files included). Seeking
// to a decode range uses the Cues where the file has them, else the cluster positions the walk
// has seen.

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
import type { DecodeRange } from './plan.ts';
import type { SampleBytes } from './sample-bytes.ts';
import type { SampleTable } from './sample-table.ts';

/** The EBML magic that every WebM and Matroska file starts with. */
export function isEbml(head: Uint8Array): boolean {
  return head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
}

/** What mediabunny may keep of the file at once; a cluster larger than this is still read. */
const CACHE_BYTES = 8 * 2 ** 20;

export async function demuxMatroska(
  source: ByteSource,
  onProgress?: (done: number, total: number) => void,
): Promise<DemuxedVideo> {
  const { name, size } = source;
  let furthest = 0;
  let failure: unknown = null;
  const input = new Input({
    formats: [WEBM, MATROSKA],
    source: new CustomSource({
      getSize: () => size,
      read: async (start, end) => {
        const bytes = await source.read(start, end - start);
        furthest = Math.max(furthest, start + bytes.length);
        onProgress?.(Math.min(furthest, size), size);
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
    const sink = new EncodedPacketSink(track);
    // Ticks of the segment's TimestampScale (1 ms in most files): every frame time is a whole
    // number of them, so the table's times are exact.
    const table = await scanFrames(sink, await track.getTimeResolution(), name);
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
      samples: (ranges) => rangeSamples(sink, table, ranges, name),
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

/**
 * Every frame's time, duration and keyframe flag, in decode order, from the cluster and block
 * headers (no frame data is kept). A frame's duration is the gap to the next shown frame; the
 * last one keeps its own (BlockDuration or DefaultDuration) or, without one, the one before it.
 */
async function scanFrames(
  sink: EncodedPacketSink,
  timescale: number,
  name: string,
): Promise<SampleTable> {
  const cols = { cts: new Grow(), duration: new Grow(), seq: new Grow(), sync: [] as number[] };
  for await (const p of sink.packets(undefined, undefined, { metadataOnly: true })) {
    cols.cts.push(Math.round(p.timestamp * timescale));
    cols.duration.push(Math.round(p.duration * timescale));
    cols.seq.push(p.sequenceNumber);
    cols.sync.push(p.type === 'key' ? 1 : 0);
  }
  const count = cols.sync.length;
  if (count === 0) {
    throw videoErrors.corrupt(
      name,
      'it has a header but no frames after it (a cut-off recording?)',
    );
  }
  const cts = cols.cts.done();
  const duration = cols.duration.done();
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
    // Matroska frames are fetched through the demuxer, not by offset: the offset column holds
    // mediabunny's sequence number of each frame (unique, increasing in decode order).
    offset: cols.seq.done(),
    size: new Uint32Array(count),
    sync: Uint8Array.from(cols.sync),
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
