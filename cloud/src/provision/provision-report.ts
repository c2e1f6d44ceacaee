import { basename } from 'node:path';
import type { DeprovisionReport } from './deprovision-thing.js';
import { BUNDLE_FILE_NAMES, MQTT_TLS_PORT, PI_CONFIG_DIR } from './device-bundle.js';
import type { ProvisionReport } from './provision-thing.js';

/** The agent's system user and service, as device/scripts/install-pi.sh creates them. */
const AGENT_USER = 'coffee-iot';
const AGENT_SERVICE = 'coffee-iot-agent';

/** `path` as one shell word. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `coffee-iot provision` prints: what was created, where the bundle is, and how to put it on
 * the Pi. `bundleArg` is the bundle directory as the user named it (for the scp line).
 */
export function formatProvisionReport(report: ProvisionReport, bundleArg: string): string {
  const { resources, origins } = report;
  const files = BUNDLE_FILE_NAMES;
  const onPi = shellWord(basename(report.bundleDir));
  const publicFiles = [files.certificate, files.rootCa, files.agentConfig].map((file) => `${onPi}/${file}`);
  return [
    `Provisioned ${report.thingName} in ${report.region}:`,
    `  thing          ${report.thingName}${report.thingArn === undefined ? '' : ` (${report.thingArn})`}`,
    `  certificate    ${report.certificateId} (active)`,
    `  policy         ${resources.policyName}, attached to the certificate (from ${origins.policyName})`,
    `  MQTT endpoint  ${report.dataEndpoint}:${MQTT_TLS_PORT}`,
    `  credentials    ${report.credentialsEndpoint}, role alias ${resources.roleAlias} (from ${origins.roleAlias})`,
    `  upload role    ${report.roleArn} (the role alias's: it exists and the IoT credentials provider may assume it)`,
    `  photo bucket   ${resources.bucket} in ${report.region} (from ${origins.bucket})`,
    '',
    `Device bundle: ${report.bundleDir}/`,
    `  ${files.certificate}, ${files.privateKey} (mode 0600), ${files.rootCa}, ${files.agentConfig}`,
    `  (agent.json expects them in ${PI_CONFIG_DIR}/). The private key exists only here, AWS keeps`,
    '  no copy: keep it secret, and delete the bundle once the Pi has it.',
    '',
    'Next steps:',
    "  1. Copy the bundle to the Pi (your Pi's user and host):",
    `       scp -r ${shellWord(bundleArg)} pi@raspberrypi.local:`,
    '  2. On the Pi, install the agent if it is not there yet (device/dist-bundle/install-pi.sh, see',
    '     the README, "Install on a Raspberry Pi"), then put the bundle in place:',
    `       sudo install -m 0644 ${publicFiles.join(' ')} ${PI_CONFIG_DIR}/`,
    `       sudo install -o ${AGENT_USER} -g ${AGENT_USER} -m 0600 ${onPi}/${files.privateKey} ${PI_CONFIG_DIR}/`,
    `  3. sudo systemctl enable --now ${AGENT_SERVICE}   (restart it if it was running)`,
    `     journalctl -u ${AGENT_SERVICE} -f`,
    '',
  ].join('\n');
}

/** What `coffee-iot deprovision` prints. */
export function formatDeprovisionReport(report: DeprovisionReport): string {
  const lines = [`Deprovisioned ${report.thingName} in ${report.region}:`];
  for (const certificate of report.certificates) {
    if (certificate.deleted) {
      const policies =
        certificate.detachedPolicies.length === 0
          ? 'no policies'
          : `policies detached: ${certificate.detachedPolicies.join(', ')}`;
      lines.push(
        `  certificate ${certificate.certificateId}: detached, ${policies}, deactivated and deleted`,
      );
    } else {
      lines.push(
        `  certificate ${certificate.certificateId}: detached from ${report.thingName}; kept, still attached to ${certificate.sharedWith.join(', ')}`,
      );
    }
  }
  for (const principal of report.otherPrincipals) lines.push(`  principal ${principal}: detached`);
  if (report.certificates.length === 0 && report.otherPrincipals.length === 0) {
    lines.push('  no certificates were attached');
  }
  lines.push(`  thing ${report.thingName}: deleted`, '');
  if (report.certificates.some((certificate) => certificate.deleted)) {
    lines.push(
      `The device can no longer connect as ${report.thingName}; its bundle (certificate and key) is of no use now.`,
      '',
    );
  }
  return lines.join('\n');
}
