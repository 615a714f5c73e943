// e2e setup: the app must be built (npm test builds it; a lone `npm run test:e2e` builds here).
import { ensureBuilt } from '../../cli/build.ts';

export default async function setup() {
  await ensureBuilt((line) => console.log(line));
}
