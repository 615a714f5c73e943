// What this browser can and cannot do for kvtp-web, said before anyone drops a video: no
// WebCodecs (videos cannot be decoded: which browsers can), no WebGPU (the models fall back to
// WebAssembly on the CPU: slower, still private; how to turn WebGPU on). Never blocks the page.
import { envNotices, type EnvState } from '../store/env.ts';

export function EnvironmentNotice({ env }: { env: Pick<EnvState, 'capabilities' | 'error'> }) {
  const notices = envNotices(env);
  if (notices.length === 0) return null;
  return (
    <div className="env-notices">
      {notices.map((n) => {
        if (n.kind === 'no-webcodecs') {
          return (
            <div key={n.kind} className="notice serious" role="alert" data-code="no-webcodecs">
              <p>
                <strong>This browser cannot decode video for kvtp-web</strong> (it has no
                WebCodecs). Open this page in a recent Chrome or Edge (version 94 or later).
              </p>
            </div>
          );
        }
        if (n.kind === 'worker') {
          return (
            <div key={n.kind} className="notice serious" role="alert" data-code={n.reason.code}>
              <p>
                <strong>kvtp-web could not start its worker.</strong> {n.reason.message}
              </p>
            </div>
          );
        }
        return (
          <div key={n.kind} className="notice" role="status" data-code="no-webgpu">
            <p>
              <strong>No WebGPU here: the models will run on the CPU</strong> (WebAssembly), which
              is slower but just as private. {n.reason?.message}
            </p>
            <p className="hint">
              To use your GPU: a recent Chrome or Edge, hardware acceleration on
              (chrome://settings/system), and a GPU that chrome://gpu lists for WebGPU.
            </p>
          </div>
        );
      })}
    </div>
  );
}
