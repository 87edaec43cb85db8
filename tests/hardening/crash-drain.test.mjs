// kill -9 of `vidkeep sync` in the middle of a drain (issue 9); the next
// drain finishes it. What each trial checks: crash-trials.mjs.
import { test, after } from 'node:test';
import { drainTrials, figures } from './crash-trials.mjs';

drainTrials(test);
after(() => console.log(`# crash figures (drain): ${JSON.stringify(figures)}`));
