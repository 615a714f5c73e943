// `--model` and `--relevance` of the command line: a directory holding a package (served to the
// browser by the CLI's own server under /kvtp-local/…), a package id of the registry, or a Hub
// repo `owner/name[@revision]` (from HF_ENDPOINT when set, as huggingface_hub reads it). An
// existing directory wins over an id or repo of the same spelling.

import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseHubId } from '../src/models/hub.ts';
import { REGISTRY } from '../src/models/registry.ts';
import type { ModelRef } from '../src/models/resolve.ts';
import { UsageError } from './args.ts';

export interface ModelArg {
  readonly ref: ModelRef;
  /** URL prefix → directory, for the CLI's server (directories only). */
  readonly mounts: Record<string, string>;
  /** How the report names the source. */
  readonly source: string;
}

/** Files below `dir` (paths with '/'), for choosing a variant among those present. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out;
}

export function modelArg(
  value: string,
  kind: 'vlm' | 'relevance',
  env: NodeJS.ProcessEnv = process.env,
): ModelArg {
  const path = resolve(value);
  const dir = statSync(path, { throwIfNoEntry: false });
  if (dir?.isDirectory()) {
    const prefix = `/kvtp-local/${kind}/`;
    return {
      ref: { kind: 'url', base: prefix, files: listing(path) },
      mounts: { [prefix]: path },
      source: path,
    };
  }
  if (REGISTRY.some((m) => m.id === value && m.kind === kind)) {
    return { ref: { kind: 'registry', id: value }, mounts: {}, source: value };
  }
  const hub = parseHubId(value);
  if (hub) {
    const endpoint = env.HF_ENDPOINT;
    return {
      ref: { kind: 'hub', ...hub, ...(endpoint && { endpoint }) },
      mounts: {},
      source: `${endpoint ?? 'https://huggingface.co'}/${value}`,
    };
  }
  const flag = kind === 'vlm' ? '--model' : '--relevance';
  const ids = REGISTRY.filter((m) => m.kind === kind).map((m) => m.id);
  throw new UsageError(
    `${flag} ${value}: not a directory, a package id (${ids.join(', ')}) or a Hub repo owner/name[@revision]`,
  );
}
