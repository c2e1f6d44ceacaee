export { type RunAgentOptions, runAgent, spoolPath } from './agent-runner.js';
export * from './button/index.js';
export * from './camera/index.js';
export * from './config/agent-config.js';
export { ConfigError } from './config/config-error.js';
export { type ConfigFs, nodeConfigFs } from './config/config-fs.js';
export { CONFIG_KEYS, type ConfigKey } from './config/config-keys.js';
export { type ConfigSources, loadConfig } from './config/load-config.js';
export * from './credentials/index.js';
export { EXIT_RESTART_REQUESTED } from './exit-codes.js';
export * from './leds/index.js';
export * from './outbox/index.js';
export * from './ports/clock.js';
export * from './ports/logger.js';
export type { ProcessHooks } from './process-hooks.js';
export type { ConnectionContext, ConnectionService } from './remote/connection-service.js';
export * from './sampler.js';
export * from './sensors/compensation.js';
export * from './sensors/cpu-temperature.js';
export { MockSensors, type MockSensorsOptions } from './sensors/mock-sensors.js';
export {
  type NodeImuData,
  openSenseHat,
  type SenseHatOptions,
  toSensorSample,
} from './sensors/sense-hat-sensors.js';
export * from './sensors/sensor-port.js';
export * from './spool/spool-errors.js';
export * from './spool/spool-port.js';
export { type SpoolAppend, SqliteSpool, type SqliteSpoolOptions } from './spool/sqlite-spool.js';
export { runStatusCommand } from './status/status-command.js';
export * from './status/status-file.js';
export { assessStatus, renderStatus, type StatusAssessment } from './status/status-report.js';
export {
  type AwsCrtTransportDeps,
  type AwsIotSdk,
  type AwsIotSdkLoader,
  createAwsCrtTransport,
  loadAwsIotSdk,
} from './transport/aws-crt-transport.js';
export { MqttConnectionLostError } from './transport/connection-lost.js';
export { MqttJsTransport, type MqttJsTransportDeps } from './transport/mqttjs-transport.js';
export {
  createTransport,
  type TransportChoice,
  type TransportSelectionDeps,
} from './transport/select-transport.js';
export * from './transport/transport-port.js';
export * from './triggers/index.js';
export * from './upload/index.js';
