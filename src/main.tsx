// The app's entry: mounts the React UI. All heavy work happens in the pipeline worker.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pipeline } from './store/pipeline.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

// For the curious and for tests: how often the expensive steps ran (decodes, encodes, …).
Object.assign(globalThis, { kvtpCounters: () => pipeline().request('counters', {}) });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
