export * from './ports/clock.js';
export * from './ports/logger.js';
export * from './sensors/sensor-port.js';
export * from './spool/spool-port.js';
export * from './transport/transport-port.js';
