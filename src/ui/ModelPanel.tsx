// The model picker: which language model and relevance model the page asks with (the embedded
// demo, the real Hub models, a package folder from disk), the download in progress (bytes,
// percent, speed), the model cache (size, per package, clear) and notices (models on the CPU,
// downloads not kept). Collapsed to one line until opened; the line still shows a download.
import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ModelRef } from '../models/resolve.ts';
import { describeRef } from '../models/resolve.ts';
import { infoOf, useModelsStore, type ModelKind } from '../store/models.ts';
import type { DownloadStatus, ModelInfo } from '../worker/protocol.ts';
import { formatBytes } from './format.ts';

const KINDS: [ModelKind, string][] = [
  ['vlm', 'Language model'],
  ['relevance', 'Relevance model'],
];

/** How a ref is named to a person. */
export function refTitle(models: readonly ModelInfo[], ref: ModelRef): string {
  if (ref.kind === 'folder') return `Folder “${ref.name}”`;
  return infoOf(models, ref)?.title ?? describeRef(ref);
}

export function ModelPanel({ showTest = false }: { showTest?: boolean }) {
  const s = useModelsStore(
    useShallow((m) => ({
      models: m.models,
      chosen: m.chosen,
      provider: m.provider,
      download: m.download,
      notices: m.notices,
      error: m.error,
    })),
  );
  useEffect(() => void useModelsStore.getState().refresh(), []);
  return (
    <details className="models" data-testid="models">
      <summary>
        <span className="models-title">Models</span>{' '}
        <span className="models-current">
          {refTitle(s.models, s.chosen.vlm)} · {refTitle(s.models, s.chosen.relevance)}
          {s.provider === 'webgpu' && ' · on the GPU (WebGPU)'}
          {s.provider === 'wasm' && ' · on the CPU (WebAssembly)'}
        </span>
        {s.download && !s.download.fromCache && <DownloadLine status={s.download} />}
      </summary>
      <div className="models-body">
        {KINDS.map(([kind, label]) => (
          <Picker key={kind} kind={kind} label={label} showTest={showTest} />
        ))}
        {s.download && <DownloadBar status={s.download} />}
        {s.notices.map((n) => (
          <p key={n.code} className="notice" role="status" data-code={n.code}>
            {n.message}
            {n.reason ? ` (${n.reason.message})` : ''}
          </p>
        ))}
        <CachePanel />
        {s.error && (
          <p className="turn-error" role="alert">
            {s.error}
          </p>
        )}
      </div>
    </details>
  );
}

function Picker({ kind, label, showTest }: { kind: ModelKind; label: string; showTest: boolean }) {
  const models = useModelsStore((s) => s.models);
  const chosen = useModelsStore((s) => s.chosen[kind]);
  const choose = useModelsStore((s) => s.choose);
  const chooseFolder = useModelsStore((s) => s.chooseFolder);
  const folderInput = useRef<HTMLInputElement>(null);
  const options = models.filter((m) => m.kind === kind && (showTest || m.purpose !== 'test'));
  const current = infoOf(models, chosen);
  const value = chosen.kind === 'folder' ? 'folder' : current ? current.id : 'other';
  return (
    <div className="picker">
      <label>
        {label}
        <select
          value={value}
          onChange={(e) => {
            const v = e.currentTarget.value;
            if (v === 'folder') folderInput.current?.click();
            else {
              const m = options.find((o) => o.id === v);
              if (m) choose(kind, m.ref);
            }
          }}
        >
          {options.map((m) => (
            <option key={m.id} value={m.id}>
              {m.title}
              {m.purpose === 'default' ? ' — built in, offline' : ''}
              {m.purpose === 'hub' ? ` — download (${m.variant})` : ''}
            </option>
          ))}
          {chosen.kind === 'folder' && <option value="folder">Folder “{chosen.name}”</option>}
          {value === 'other' && <option value="other">{describeRef(chosen)}</option>}
          {chosen.kind !== 'folder' && <option value="folder">A package folder from disk…</option>}
        </select>
      </label>
      <input
        ref={folderInput}
        type="file"
        className="visually-hidden"
        aria-label={`${label} folder`}
        // a package folder: config.json, onnx/…, tokenizer.json
        {...{ webkitdirectory: '', directory: '' }}
        multiple
        onChange={(e) => {
          const files = e.currentTarget.files;
          if (files && files.length > 0) chooseFolder(kind, Array.from(files));
          e.currentTarget.value = '';
        }}
      />
      {current?.source.kind === 'hub' && (
        <p className="hint">
          From the Hugging Face Hub ({current.source.repo}), weights {current.variant}: downloaded
          once on the first question, then kept in this browser.
        </p>
      )}
      {chosen.kind === 'folder' && (
        <p className="hint">
          {chosen.files.length} files from “{chosen.name}”, read from disk (not copied, not kept
          after this page).{' '}
          <button
            type="button"
            className="button subtle"
            onClick={() =>
              choose(kind, options.find((o) => o.purpose === 'default')?.ref ?? chosen)
            }
          >
            Use the built-in model
          </button>
        </p>
      )}
    </div>
  );
}

/** "model 2/4: decoder_model_merged_q4.onnx — 12 MB of 87 MB (14 %), 3.1 MB/s". */
export function downloadText(d: DownloadStatus): string {
  const whole = d.packageTotalBytes > 0;
  const done = whole ? d.packageBytes : d.bytes;
  const total = whole ? d.packageTotalBytes : d.totalBytes;
  const amount = total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
  const speed = d.bytesPerSecond > 0 ? `, ${formatBytes(d.bytesPerSecond)}/s` : '';
  const from = d.fromCache ? ' (from the cache)' : '';
  return `${d.model} ${d.fileIndex + 1}/${d.files}: ${d.file}${from} — ${amount} (${Math.round(d.percent)} %)${speed}`;
}

function DownloadLine({ status }: { status: DownloadStatus }) {
  return <span className="models-download"> · downloading {Math.round(status.percent)} %</span>;
}

function DownloadBar({ status }: { status: DownloadStatus }) {
  return (
    <div className="progress-row" data-testid="model-download">
      <progress max={100} value={status.percent} aria-label={`Loading ${status.model}`} />
      <span>{downloadText(status)}</span>
    </div>
  );
}

function CachePanel() {
  const cache = useModelsStore((s) => s.cache);
  const models = useModelsStore((s) => s.models);
  const clearCache = useModelsStore((s) => s.clearCache);
  if (!cache) return null;
  const quota =
    cache.usage !== null && cache.quota !== null
      ? ` This site uses ${formatBytes(cache.usage)} of ${formatBytes(cache.quota)} the browser allows.`
      : '';
  return (
    <div className="model-cache" data-testid="model-cache">
      <p>
        <strong>Downloaded models:</strong>{' '}
        {cache.packages.length === 0
          ? 'none yet.'
          : `${formatBytes(cache.bytes)} in ${cache.packages.length} ${
              cache.packages.length === 1 ? 'package' : 'packages'
            }.`}
        {quota}
        {!cache.persistent && ' This browser does not keep downloads after the page closes.'}
      </p>
      {cache.packages.length > 0 && (
        <ul>
          {cache.packages.map((p) => (
            <li key={p.key}>
              {models.find((m) => m.id === p.modelId)?.title ?? p.repo} ({p.revision}):{' '}
              {formatBytes(p.bytes)}
              {p.state === 'partial'
                ? ', partly downloaded (resumes on the next question)'
                : ''}{' '}
              <button
                type="button"
                className="button subtle"
                onClick={() => void clearCache(p.key)}
                aria-label={`Remove ${p.repo} from the cache`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {cache.packages.length > 0 && (
        <button type="button" className="button subtle" onClick={() => void clearCache()}>
          Clear the model cache
        </button>
      )}
    </div>
  );
}
