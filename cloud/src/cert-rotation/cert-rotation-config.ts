import { EnvReader } from '../config/env.js';

/** The rotation Lambda's environment. */
export interface CertRotationConfig {
  /** The IoT policy every device certificate carries (DeviceIdentity's), attached to new ones. */
  devicePolicyName: string;
}

/** Reads the environment; throws EnvironmentError naming every problem at once. */
export function readCertRotationConfig(
  env: Readonly<Record<string, string | undefined>>,
): CertRotationConfig {
  const read = new EnvReader(env);
  const config: CertRotationConfig = { devicePolicyName: read.string('DEVICE_POLICY_NAME') };
  read.done();
  return config;
}
