// Differential test, half a (see differential-half.ts).
import { differentialHalf } from './differential-half.js';

differentialHalf('a', 0);
