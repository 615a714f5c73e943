// A readable error that does not take anything away: the page stays usable.
import type { ErrorInfo } from '../core/errors.ts';

export function ErrorBanner({ error, onDismiss }: { error: ErrorInfo; onDismiss: () => void }) {
  return (
    <div className="error-banner" role="alert" data-code={error.code}>
      <p>{error.message}</p>
      <button type="button" className="button subtle" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
