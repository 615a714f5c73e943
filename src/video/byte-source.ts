// Byte-range reads of a file (a Blob) through Blob.slice, counting what they read. This is the
// only way the video path touches file bytes: it never reads a file whole and keeps no cache.

import { throwIfAborted } from '../core/errors.ts';
import { videoErrors } from './errors.ts';

/** What ByteSource needs of a Blob (a File in the browser; a test may give a file-backed one). */
export interface BlobLike {
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export class ByteSource {
  /** Bytes read so far, over all reads. */
  bytesRead = 0;
  /** Number of reads so far. */
  reads = 0;

  constructor(
    private readonly blob: BlobLike,
    /** The file's name, for error messages. */
    readonly name: string,
    private readonly signal?: AbortSignal,
  ) {}

  get size(): number {
    return this.blob.size;
  }

  /** The bytes [offset, offset + length), cut short at the end of the file. */
  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    throwIfAborted(this.signal);
    const end = Math.min(this.blob.size, offset + length);
    if (offset < 0 || end <= offset) return new Uint8Array(0);
    let buffer: ArrayBuffer;
    try {
      buffer = await this.blob.slice(offset, end).arrayBuffer();
    } catch (e) {
      throw videoErrors.unreadable(this.name, e);
    }
    this.bytesRead += buffer.byteLength;
    this.reads++;
    throwIfAborted(this.signal);
    return new Uint8Array(buffer);
  }
}
