export type { InstrumentKeywardOptions, KeywardInstrumentation } from './instrument.js';
export { instrumentKeyward } from './instrument.js';
