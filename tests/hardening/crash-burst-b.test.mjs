// kill -9 during a pipelined burst with the outbox being sent (issue 9):
// burst trials 25 to BURST_TRIALS, in two files so the test runner overlaps them.
// What each trial checks: crash-trials.mjs.
import { test, after } from 'node:test';
import { burstTrials, BURST_TRIALS, figures } from './crash-trials.mjs';

burstTrials(test, 25, BURST_TRIALS);
after(() => console.log(`# crash figures (part b): ${JSON.stringify(figures)}`));
