import { describe, expect, it } from 'vitest';
import { fileUrl, folderSource, sourceKey } from '../../src/models/source.ts';

describe('package sources', () => {
  it('builds Hub resolve URLs with the revision and escaped path segments', () => {
    const hub = {
      kind: 'hub',
      repo: 'HuggingFaceTB/SmolVLM2-256M-Video-Instruct',
      revision: 'main',
    } as const;
    expect(fileUrl(hub, 'onnx/decoder_model_merged_q4.onnx')).toBe(
      'https://huggingface.co/HuggingFaceTB/SmolVLM2-256M-Video-Instruct/resolve/main/onnx/decoder_model_merged_q4.onnx',
    );
    expect(fileUrl({ ...hub, endpoint: 'http://localhost:9/', revision: 'a b' }, '/x y.json')).toBe(
      'http://localhost:9/HuggingFaceTB/SmolVLM2-256M-Video-Instruct/resolve/a%20b/x%20y.json',
    );
    expect(sourceKey(hub)).toBe('hub/HuggingFaceTB/SmolVLM2-256M-Video-Instruct@main');
    expect(sourceKey({ ...hub, revision: 'refs/pr/6' })).toBe(
      'hub/HuggingFaceTB/SmolVLM2-256M-Video-Instruct@refs%2Fpr%2F6',
    );
  });

  it('resolves URL packages against the page origin', () => {
    const src = { kind: 'url', base: '/models/demo-vlm' } as const;
    expect(fileUrl(src, 'onnx/vision_encoder.onnx', 'http://localhost:5173/index.html')).toBe(
      'http://localhost:5173/models/demo-vlm/onnx/vision_encoder.onnx',
    );
    expect(sourceKey(src)).toBe('url//models/demo-vlm');
  });

  it('maps a picked folder’s files by their path below the folder', () => {
    const file = (path: string) =>
      Object.assign(new File(['x'], path.split('/').pop()!), { webkitRelativePath: path });
    const src = folderSource([file('my-vlm/kvtp-manifest.json'), file('my-vlm/onnx/decoder.onnx')]);
    expect(src.kind).toBe('folder');
    if (src.kind !== 'folder') return;
    expect(src.name).toBe('my-vlm');
    expect([...src.files.keys()].sort()).toEqual(['kvtp-manifest.json', 'onnx/decoder.onnx']);
    expect(fileUrl(src, 'onnx/decoder.onnx')).toBeNull();
  });
});
