// The page's one pipeline worker client, started on first use. Tests replace it with
// `setPipelineClient` (a client over a fake worker).

import { PipelineClient } from '../worker/client.ts';

let client: PipelineClient | null = null;

export function pipeline(): PipelineClient {
  client ??= PipelineClient.start();
  return client;
}

export function setPipelineClient(next: PipelineClient | null): void {
  client = next;
}
