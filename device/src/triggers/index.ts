export {
  HTTP_CONTROL_HOST,
  HttpControl,
  HttpControlError,
  type HttpControlOptions,
} from './http-control.js';
export { type KeyboardInput, KeyboardTrigger, type KeyboardTriggerOptions } from './keyboard-trigger.js';
