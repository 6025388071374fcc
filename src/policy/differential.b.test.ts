// Differential test, half b (see differential-half.ts).
import { differentialHalf } from './differential-half.js';

differentialHalf('b', 500_000);
