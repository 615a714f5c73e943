// Persistent storage of downloaded model files, with partial files for resumable downloads.
// In the browser: the Origin Private File System (survives reloads, large quota, no memory
// copy: a stored file is read back as a disk-backed File). Elsewhere (Node tests, browsers
// without OPFS): an in-memory store with the same interface.

export interface StoredEntry {
  readonly key: string;
  readonly size: number;
  /** False for a partial download that can be resumed. */
  readonly complete: boolean;
}

export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ModelStore {
  readonly persistent: boolean;
  /** The complete file under `key`, or null. */
  read(key: string): Promise<Blob | null>;
  /** Bytes already downloaded of a partial file (0 if none). */
  partialSize(key: string): Promise<number>;
  /** A writer that appends to the partial file from `offset` (what lies beyond is dropped). */
  writer(key: string, offset: number): Promise<FileWriter>;
  /** Turn the partial file into the complete one. */
  complete(key: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(): Promise<StoredEntry[]>;
  /** Delete every entry whose key starts with `prefix` (all when absent). */
  clear(prefix?: string): Promise<void>;
}

const PART = '.part';

/** OPFS-backed store (browser). Keys are encoded into flat file names. */
export class OpfsStore implements ModelStore {
  readonly persistent = true;
  private dir: Promise<FileSystemDirectoryHandle>;

  constructor(folder = 'kvtp-models') {
    this.dir = navigator.storage
      .getDirectory()
      .then((root) => root.getDirectoryHandle(folder, { create: true }));
  }

  static available(): boolean {
    return (
      typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function'
    );
  }

  async read(key: string): Promise<Blob | null> {
    const handle = await this.handle(encode(key), false);
    return handle ? handle.getFile() : null;
  }

  async partialSize(key: string): Promise<number> {
    const handle = await this.handle(encode(key) + PART, false);
    return handle ? (await handle.getFile()).size : 0;
  }

  async writer(key: string, offset: number): Promise<FileWriter> {
    const handle = (await this.handle(encode(key) + PART, true))!;
    const writable = await handle.createWritable({ keepExistingData: offset > 0 });
    if (offset > 0) {
      await writable.truncate(offset);
      await writable.seek(offset);
    }
    return {
      write: (chunk) => writable.write(chunk as Uint8Array<ArrayBuffer>),
      close: () => writable.close(),
    };
  }

  async complete(key: string): Promise<void> {
    const dir = await this.dir;
    const part = await dir.getFileHandle(encode(key) + PART);
    const final = encode(key);
    await dir.removeEntry(final).catch(() => {});
    const movable = part as FileSystemFileHandle & { move?: (name: string) => Promise<void> };
    if (movable.move) {
      await movable.move(final);
      return;
    }
    // No move(): copy through a stream (older browsers).
    const target = await dir.getFileHandle(final, { create: true });
    const w = await target.createWritable();
    await (await part.getFile()).stream().pipeTo(w);
    await dir.removeEntry(encode(key) + PART);
  }

  async delete(key: string): Promise<void> {
    const dir = await this.dir;
    await dir.removeEntry(encode(key)).catch(() => {});
    await dir.removeEntry(encode(key) + PART).catch(() => {});
  }

  async list(): Promise<StoredEntry[]> {
    const dir = await this.dir;
    const out: StoredEntry[] = [];
    for await (const [name, handle] of dir as unknown as AsyncIterable<
      [string, FileSystemHandle]
    >) {
      if (handle.kind !== 'file') continue;
      const complete = !name.endsWith(PART);
      const size = (await (handle as FileSystemFileHandle).getFile()).size;
      out.push({ key: decode(complete ? name : name.slice(0, -PART.length)), size, complete });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async clear(prefix = ''): Promise<void> {
    for (const e of await this.list()) if (e.key.startsWith(prefix)) await this.delete(e.key);
  }

  private async handle(name: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const dir = await this.dir;
    try {
      return await dir.getFileHandle(name, { create });
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError') return null;
      throw e;
    }
  }
}

/** In-memory store: same behaviour, gone with the page (or the Node process). */
export class MemoryStore implements ModelStore {
  readonly persistent = false;
  private readonly files = new Map<string, { chunks: Uint8Array[]; complete: boolean }>();

  async read(key: string): Promise<Blob | null> {
    const f = this.files.get(key);
    return f?.complete ? new Blob(f.chunks as Uint8Array<ArrayBuffer>[]) : null;
  }

  async partialSize(key: string): Promise<number> {
    const f = this.files.get(key + PART);
    return f ? f.chunks.reduce((n, c) => n + c.byteLength, 0) : 0;
  }

  async writer(key: string, offset: number): Promise<FileWriter> {
    const existing = this.files.get(key + PART);
    const kept = existing ? truncate(existing.chunks, offset) : [];
    const entry = { chunks: kept, complete: false };
    this.files.set(key + PART, entry);
    return {
      write: async (chunk) => void entry.chunks.push(chunk.slice()),
      close: async () => {},
    };
  }

  async complete(key: string): Promise<void> {
    const part = this.files.get(key + PART);
    if (!part) throw new Error(`no partial file for ${key}`);
    this.files.delete(key + PART);
    this.files.set(key, { chunks: part.chunks, complete: true });
  }

  async delete(key: string): Promise<void> {
    this.files.delete(key);
    this.files.delete(key + PART);
  }

  async list(): Promise<StoredEntry[]> {
    return [...this.files.entries()]
      .map(([name, f]) => ({
        key: f.complete ? name : name.slice(0, -PART.length),
        size: f.chunks.reduce((n, c) => n + c.byteLength, 0),
        complete: f.complete,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async clear(prefix = ''): Promise<void> {
    for (const e of await this.list()) if (e.key.startsWith(prefix)) await this.delete(e.key);
  }
}

function truncate(chunks: Uint8Array[], length: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = length;
  for (const c of chunks) {
    if (left <= 0) break;
    out.push(c.byteLength <= left ? c : c.subarray(0, left));
    left -= c.byteLength;
  }
  return out;
}

/** Keys → flat file names (OPFS names cannot contain '/'). */
function encode(key: string): string {
  return encodeURIComponent(key);
}

function decode(name: string): string {
  return decodeURIComponent(name);
}
