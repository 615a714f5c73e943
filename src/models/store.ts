// Persistent storage of downloaded model files, with partial files for resumable downloads and,
// beside each, what the Hub listed for the whole file (size, SHA-256 or git blob id, the commit)
// so that a resume continues the same version and a damaged or out-of-date copy is recognised. In the browser: the Origin
// Private File System (survives reloads, large quota, no memory copy: a stored file is read back
// as a disk-backed File). Elsewhere (Node tests, browsers without OPFS): an in-memory store with
// the same interface.

/** What the Hub listed about a stored (or partly stored) file. */
export interface EntryMeta {
  /** Bytes of the whole file (the tree listing's size, or Content-Range). */
  readonly size?: number;
  /** SHA-256 of an LFS file, hex: a complete entry with it was checked against it. */
  readonly sha256?: string;
  /** Git blob id of a small file, hex: a complete entry with it was checked against it. */
  readonly oid?: string;
  /** The server's ETag: recorded by the old scheme (before hashes), read to keep its copies. */
  readonly etag?: string;
  /** The Hub commit the file was taken from. */
  readonly commit?: string;
}

export interface StoredEntry {
  readonly key: string;
  /** Bytes held (of a partial file: downloaded so far). */
  readonly size: number;
  /** False for a partial download that can be resumed. */
  readonly complete: boolean;
  /** Bytes the whole file has, when known: a complete entry of another size is damaged. */
  readonly expectedSize?: number;
  readonly sha256?: string;
  readonly etag?: string;
  readonly commit?: string;
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
  /** The partial file under `key` as it is (to check its hash before completing it), or null. */
  readPartial(key: string): Promise<Blob | null>;
  /** A writer that appends to the partial file from `offset` (what lies beyond is dropped). */
  writer(key: string, offset: number): Promise<FileWriter>;
  /** Turn the partial file into the complete one (its meta stays). */
  complete(key: string): Promise<void>;
  /** What was recorded about the file under `key` (partial or complete), or null. */
  meta(key: string): Promise<EntryMeta | null>;
  setMeta(key: string, meta: EntryMeta): Promise<void>;
  /** Remove the file, its partial and its meta. */
  delete(key: string): Promise<void>;
  list(): Promise<StoredEntry[]>;
  /** Delete every entry whose key starts with `prefix` (all when absent). */
  clear(prefix?: string): Promise<void>;
}

const PART = '.part';
const META = '.meta';

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

  async readPartial(key: string): Promise<Blob | null> {
    const handle = await this.handle(encode(key) + PART, false);
    return handle ? handle.getFile() : null;
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

  async meta(key: string): Promise<EntryMeta | null> {
    const handle = await this.handle(encode(key) + META, false);
    if (!handle) return null;
    try {
      return JSON.parse(await (await handle.getFile()).text()) as EntryMeta;
    } catch {
      return null; // an unreadable record is as good as none
    }
  }

  async setMeta(key: string, meta: EntryMeta): Promise<void> {
    const handle = (await this.handle(encode(key) + META, true))!;
    const w = await handle.createWritable();
    await w.write(JSON.stringify(meta));
    await w.close();
  }

  async delete(key: string): Promise<void> {
    const dir = await this.dir;
    for (const suffix of ['', PART, META]) {
      await dir.removeEntry(encode(key) + suffix).catch(() => {});
    }
  }

  async list(): Promise<StoredEntry[]> {
    const dir = await this.dir;
    const out: StoredEntry[] = [];
    for await (const [name, handle] of dir as unknown as AsyncIterable<
      [string, FileSystemHandle]
    >) {
      if (handle.kind !== 'file' || name.endsWith(META)) continue;
      const complete = !name.endsWith(PART);
      const key = decode(complete ? name : name.slice(0, -PART.length));
      const size = (await (handle as FileSystemFileHandle).getFile()).size;
      out.push(withMeta({ key, size, complete }, await this.meta(key)));
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async clear(prefix = ''): Promise<void> {
    // by name, so that a meta record whose file is gone goes too
    const dir = await this.dir;
    const names: string[] = [];
    for await (const [name] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
      const base = name.endsWith(PART) || name.endsWith(META) ? name.slice(0, -5) : name;
      if (decode(base).startsWith(prefix)) names.push(name);
    }
    for (const name of names) await dir.removeEntry(name).catch(() => {});
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
  private readonly metas = new Map<string, EntryMeta>();

  async read(key: string): Promise<Blob | null> {
    const f = this.files.get(key);
    return f?.complete ? new Blob(f.chunks as Uint8Array<ArrayBuffer>[]) : null;
  }

  async partialSize(key: string): Promise<number> {
    const f = this.files.get(key + PART);
    return f ? f.chunks.reduce((n, c) => n + c.byteLength, 0) : 0;
  }

  async readPartial(key: string): Promise<Blob | null> {
    const f = this.files.get(key + PART);
    return f ? new Blob(f.chunks as Uint8Array<ArrayBuffer>[]) : null;
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

  async meta(key: string): Promise<EntryMeta | null> {
    return this.metas.get(key) ?? null;
  }

  async setMeta(key: string, meta: EntryMeta): Promise<void> {
    this.metas.set(key, { ...meta });
  }

  async delete(key: string): Promise<void> {
    this.files.delete(key);
    this.files.delete(key + PART);
    this.metas.delete(key);
  }

  /** For tests: overwrite a complete file's bytes (a damaged cache). */
  async corrupt(key: string, bytes: Uint8Array): Promise<void> {
    const f = this.files.get(key);
    if (f?.complete) f.chunks = [bytes.slice()];
  }

  async list(): Promise<StoredEntry[]> {
    return [...this.files.entries()]
      .map(([name, f]) => {
        const key = f.complete ? name : name.slice(0, -PART.length);
        const size = f.chunks.reduce((n, c) => n + c.byteLength, 0);
        return withMeta({ key, size, complete: f.complete }, this.metas.get(key) ?? null);
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async clear(prefix = ''): Promise<void> {
    for (const e of await this.list()) if (e.key.startsWith(prefix)) await this.delete(e.key);
    for (const key of this.metas.keys()) if (key.startsWith(prefix)) this.metas.delete(key);
  }
}

function withMeta(e: StoredEntry, meta: EntryMeta | null): StoredEntry {
  if (!meta) return e;
  return {
    ...e,
    ...(meta.size !== undefined && { expectedSize: meta.size }),
    ...(meta.sha256 !== undefined && { sha256: meta.sha256 }),
    ...(meta.etag !== undefined && { etag: meta.etag }),
    ...(meta.commit !== undefined && { commit: meta.commit }),
  };
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
