// Said before the first answer when the demo language model meets a video that is not one of its
// samples: what the demo was trained on, that its answers about this video mean nothing, and a
// one-click switch to a real model with its download size (or keep the demo). Both are remembered.
import { demoNoticeMessage, DEMO_NOTICE_CODE, REAL_VLM } from '../models/demo-notice.ts';

export function DemoNotice({ onSwitch, onKeep }: { onSwitch(): void; onKeep(): void }) {
  return (
    <div className="notice" role="status" data-code={DEMO_NOTICE_CODE}>
      <p>
        <strong>This is the demo model: it does not know videos like this one.</strong>{' '}
        {demoNoticeMessage()}
      </p>
      <p className="notice-actions">
        <button type="button" onClick={onSwitch}>
          Use {REAL_VLM.title} ({REAL_VLM.download})
        </button>{' '}
        <button type="button" onClick={onKeep}>
          Keep the demo
        </button>
      </p>
    </div>
  );
}
