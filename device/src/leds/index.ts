export {
  CountdownConfigError,
  FLASH_WAIT_MS,
  MAX_COUNTDOWN_SECONDS,
  runCountdown,
} from './countdown.js';
export { blankFrame, digitFrame, flashFrame, frameToText, iconFrame } from './glyphs.js';
export * from './led-port.js';
export { type LedCall, RecordingLeds, type RecordingLedsOptions } from './recording-leds.js';
export { SafeLedMatrix } from './safe-leds.js';
export { type LedRotation, openSenseHatLeds, type SenseHatLedsOptions } from './sense-hat-leds.js';
export { TerminalLeds, type TerminalLedsOptions } from './terminal-leds.js';
