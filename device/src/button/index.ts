export * from './button-port.js';
export {
  DEFAULT_DEBOUNCE_MS,
  DebounceConfigError,
  type DebounceOptions,
  Debouncer,
  type Level as GpioLevel,
} from './debounce.js';
export { FakeButton, type FakeButtonOptions } from './fake-button.js';
export * from './gpio-map.js';
export {
  type EventDevice,
  findSenseHatJoystick,
  JoystickButton,
  type JoystickButtonOptions,
  SENSE_HAT_JOYSTICK_NAME,
} from './joystick-button.js';
export { type ButtonStats, OnoffButton, type OnoffButtonOptions } from './onoff-button.js';
