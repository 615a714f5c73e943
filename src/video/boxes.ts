// ISO BMFF (MP4/MOV) top-level box headers, parsed from a few bytes: where each box starts, how big
// it is, and whether the bytes look like a box at all. Pure functions; no reading, no mp4box.

/** A top-level box: its four-character type, file offset, total size and header size. */
export interface BoxHeader {
  readonly type: string;
  readonly start: number;
  /** Total size in bytes, header included (a size-0 box runs to the end of the file). */
  readonly size: number;
  readonly headerSize: number;
}

/** Boxes a QuickTime or ISO file may start with. */
const FIRST_BOXES = new Set([
  'ftyp',
  'moov',
  'mdat',
  'free',
  'skip',
  'wide',
  'pnot',
  'pdin',
  'styp',
  'sidx',
  'uuid',
  'junk',
]);

/** Bytes needed to parse any box header (32-bit size, type, 64-bit size). */
export const MAX_HEADER = 16;

/**
 * Parse the box header at `bytes[at]`, which sits at file offset `fileOffset` in a file of
 * `fileSize` bytes. Returns `'short'` when more bytes are needed, `'invalid'` when these bytes
 * cannot be a box header.
 */
export function parseBoxHeader(
  bytes: Uint8Array,
  at: number,
  fileOffset: number,
  fileSize: number,
): BoxHeader | 'short' | 'invalid' {
  const left = bytes.length - at;
  if (left < 8) return fileSize - fileOffset < 8 ? 'invalid' : 'short';
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, left);
  let size = view.getUint32(0);
  const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return 'invalid';
  let headerSize = 8;
  if (size === 1) {
    if (left < 16) return fileSize - fileOffset < 16 ? 'invalid' : 'short';
    size = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
    headerSize = 16;
  } else if (size === 0) {
    size = fileSize - fileOffset;
  }
  if (size < headerSize) return 'invalid';
  return { type, start: fileOffset, size, headerSize };
}

/** Whether a file may start with a box of this type. */
export function isFirstBox(type: string): boolean {
  return FIRST_BOXES.has(type);
}

/**
 * A 16-byte header standing in for a box whose body we skip: declared as `mdat` with a 64-bit
 * size, so that mp4box skips the body (it never needs media data) and resumes parsing right
 * after the box.
 */
export function skippedBoxHeader(size: number): Uint8Array {
  const header = new Uint8Array(MAX_HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, 1);
  header.set([0x6d, 0x64, 0x61, 0x74], 4); // 'mdat'
  view.setUint32(8, Math.floor(size / 2 ** 32));
  view.setUint32(12, size >>> 0);
  return header;
}
