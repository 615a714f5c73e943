// `node --import ./bin/raw-register.mjs …` (or tsx): WGSL `?raw` imports as text, as in Vite.
import { register } from 'node:module';

register('./raw-loader.mjs', import.meta.url);
