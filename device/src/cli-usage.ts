import { CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH, ENV_PREFIX } from './config/agent-config.js';
import { CONFIG_FLAGS } from './config/config-flags.js';
import { CONFIG_KEYS } from './config/config-keys.js';
import { EXIT_CODES } from './exit-codes.js';

const FLAG_HELP: Record<string, string> = {
  mock: 'simulated Sense HAT; still talks to the configured broker',
};

function flagFor(path: string): string | undefined {
  return CONFIG_FLAGS.find((entry) => entry.path === path)?.flag;
}

/** The `--help` text: commands, flags, the environment convention and every config key. */
export function usageText(): string {
  const flagLines = CONFIG_FLAGS.map(({ flag, path }) => {
    const left = flag === 'mock' ? `--${flag}` : `--${flag} VALUE`;
    return `  ${left.padEnd(26)}sets ${path}${FLAG_HELP[flag] ? ` (${FLAG_HELP[flag]})` : ''}`;
  });
  const keyLines = CONFIG_KEYS.map((key) => {
    const flag = flagFor(key.path);
    const fallback = key.required
      ? 'required'
      : key.default === undefined
        ? 'unset'
        : JSON.stringify(key.default);
    return [
      `  ${key.path}  [${fallback}]${flag ? `  --${flag}` : ''}  ${key.envName}`,
      `      ${key.description}`,
    ].join('\n');
  });
  return [
    'Usage: coffee-iot-agent [run] [options]     run the agent (the default command)',
    '       coffee-iot-agent status [--json] [options]',
    '       coffee-iot-agent doctor [--json] [options]',
    '       coffee-iot-agent help | --help',
    '',
    'Commands:',
    '  run                       sample the Sense HAT and publish telemetry over MQTT with mutual TLS;',
    '                            on the first boot of a claim image (provisioning.*) it first gets its',
    '                            own certificate and thing by claim, then runs as that thing',
    '  status                    show connection state, spool depth, oldest unsent reading, dropped',
    '                            count and last PUBACK of the running agent; exit code 0 when it is',
    '                            running and connected, 1 otherwise (--json for machine output)',
    '  doctor                    check this machine for the agent: Node, native modules, I2C and the',
    '                            Sense HAT, camera, GPIO, clock sync, certificate and key, endpoint',
    '                            DNS and a TLS handshake, state directory, credential provider; one',
    '                            line each with its fix; exit code 0 when none fails (--json: array',
    '                            of {name, status, detail, fix})',
    '',
    'Options:',
    `  --config FILE             configuration file (default ${DEFAULT_CONFIG_PATH}; also ${CONFIG_PATH_ENV})`,
    ...flagLines,
    '  --json                    status, doctor: print JSON',
    '  -h, --help                show this text',
    '',
    'Configuration precedence: flags > environment > file > defaults. Every key can be set by',
    `environment as ${ENV_PREFIX}<KEY PATH IN SCREAMING_SNAKE_CASE>, e.g. spool.maxBytes ->`,
    `${ENV_PREFIX}SPOOL_MAX_BYTES. Unknown keys and unknown ${ENV_PREFIX}* variables are errors.`,
    'Relative paths in the file are relative to the file; elsewhere to the working directory.',
    '',
    'Configuration keys  [default]  flag  environment variable:',
    ...keyLines,
    '',
    'Exit codes (the systemd unit does not restart on 2 or 3):',
    ...EXIT_CODES.map(({ code, meaning }) => `  ${code}  ${meaning}`),
    '',
  ].join('\n');
}
