#!/usr/bin/env bash
# Installs the coffee-iot agent bundle (made by `npm run bundle -w device`) on a Raspberry Pi:
# system user, agent in /opt/coffee-iot/agent with its native dependencies and demo photos,
# the /usr/local/bin/coffee-iot-agent command, the systemd unit and an example
# /etc/coffee-iot/agent.json (never overwritten).
#
#   sudo ./install-pi.sh [--bundle DIR] [--destdir DIR] [--skip-npm-install] [--dry-run]
#
# --destdir (or DESTDIR=) installs the files under DIR and skips everything that changes the
# running system (users, ownership, systemctl), so the layout can be built and inspected
# without root. --dry-run prints the commands without running them.
set -euo pipefail

readonly SERVICE=coffee-iot-agent
readonly AGENT_USER=coffee-iot
# i2c: Sense HAT sensors; gpio: the coffee button; video: LED matrix framebuffer and camera;
# input: the Sense HAT joystick (/dev/input/eventN).
readonly HARDWARE_GROUPS=(i2c gpio video input)
readonly APP_DIR=/opt/coffee-iot/agent
readonly CONFIG_DIR=/etc/coffee-iot
readonly STATE_DIR=/var/lib/coffee-iot
readonly UNIT_DIR=/etc/systemd/system
readonly BIN_LINK=/usr/local/bin/coffee-iot-agent
readonly ENTRY=coffee-iot-agent.mjs
# The mock camera's photos, next to the entry file (where the agent looks for them).
readonly DEMO_PHOTOS=assets/demo-photos

bundle_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
destdir="${DESTDIR:-}"
dry_run=0
skip_npm=0

die() {
  printf 'install-pi.sh: error: %s\n' "$*" >&2
  exit 1
}

note() {
  printf '==> %s\n' "$*"
}

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# Runs a command, or only shows it under --dry-run.
run() {
  if ((dry_run)); then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Commands that change the live system (users, ownership, services) are not run when
# installing into a staging root.
run_on_system() {
  if [[ -n "$destdir" ]]; then
    printf 'skipped (DESTDIR):'
    printf ' %q' "$@"
    printf '\n'
  else
    run "$@"
  fi
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --bundle)
        [[ $# -ge 2 ]] || die '--bundle needs a directory'
        bundle_dir="$2"
        shift 2
        ;;
      --destdir)
        [[ $# -ge 2 ]] || die '--destdir needs a directory'
        destdir="$2"
        shift 2
        ;;
      --skip-npm-install)
        skip_npm=1
        shift
        ;;
      --dry-run)
        dry_run=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        die "unknown argument: $1 (see --help)"
        ;;
    esac
  done
  [[ -z "$destdir" || "$destdir" == /* ]] || die "--destdir must be an absolute path, got: $destdir"
  destdir="${destdir%/}"
}

check_root() {
  if [[ -z "$destdir" ]] && ((!dry_run)) && [[ "$(id -u)" -ne 0 ]]; then
    die 'run as root (sudo ./install-pi.sh), or pass --destdir DIR to stage the files'
  fi
}

# Prints the absolute path of node after checking it is a supported version.
check_node() {
  local node_bin version major
  node_bin="$(command -v node || true)"
  [[ -n "$node_bin" ]] ||
    die 'node was not found on PATH. Install Node.js 20 or 22 (e.g. from the NodeSource apt repository) and run this again.'
  version="$("$node_bin" -p 'process.versions.node')" || die "could not run $node_bin"
  major="${version%%.*}"
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 20 || major == 21)); then
    die "coffee-iot-agent needs Node.js 20 or 22+ (found v$version at $node_bin). Install a supported LTS release and run this again."
  fi
  # The unit runs with ProtectHome=yes, so a node under a home directory (nvm) is invisible to it.
  case "$node_bin" in
    /home/* | /root/*)
      die "node at $node_bin is inside a home directory, which the service cannot see (ProtectHome=yes). Install Node.js system-wide (e.g. /usr/bin/node)."
      ;;
  esac
  printf '%s\n' "$node_bin"
}

# Prints "crt" when aws-crt has a prebuilt binary for this machine, "mqttjs" otherwise.
check_arch() {
  local machine
  machine="$(uname -m)"
  case "$machine" in
    aarch64 | arm64 | x86_64)
      note "architecture $machine: the aws-crt transport (aws-iot-device-sdk-v2) is available" >&2
      printf 'crt\n'
      ;;
    armv7l | armv6l)
      note "architecture $machine (32-bit ARM): aws-crt has no prebuilt binary here, so the agent will use the MQTT.js transport (same behaviour); aws-iot-device-sdk-v2 is not installed" >&2
      printf 'mqttjs\n'
      ;;
    *)
      note "architecture $machine is untested; if aws-crt cannot load, the agent falls back to MQTT.js" >&2
      printf 'crt\n'
      ;;
  esac
}

check_bundle() {
  local file
  for file in "$ENTRY" package.json coffee-iot-agent.service agent.example.json "$DEMO_PHOTOS/PROVENANCE.md"; do
    [[ -f "$bundle_dir/$file" ]] ||
      die "$bundle_dir/$file is missing: run 'npm run bundle -w device' and use device/dist-bundle/install-pi.sh"
  done
  compgen -G "$bundle_dir/$DEMO_PHOTOS/*.png" >/dev/null ||
    die "$bundle_dir/$DEMO_PHOTOS has no demo photos: run 'npm run bundle -w device' again"
}

create_user() {
  local group
  for group in "${HARDWARE_GROUPS[@]}"; do
    # The unit names these groups in SupplementaryGroups=, and systemd refuses to start a
    # service whose groups do not exist (Raspberry Pi OS has them; other images may not).
    if ! getent group "$group" >/dev/null; then
      note "creating missing system group $group"
      run_on_system groupadd --system "$group"
    fi
  done
  if id -u "$AGENT_USER" >/dev/null 2>&1; then
    note "user $AGENT_USER exists"
  else
    note "creating system user $AGENT_USER"
    run_on_system useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment 'coffee-iot edge agent' "$AGENT_USER"
  fi
  run_on_system usermod --append --groups "$(
    IFS=,
    printf '%s' "${HARDWARE_GROUPS[*]}"
  )" "$AGENT_USER"
}

# Installs into a fresh directory and swaps it in, so a failed npm install leaves the
# previous version untouched and running.
install_app() {
  local transport="$1" target staging
  target="$destdir$APP_DIR"
  staging="$target.new"
  note "installing the agent into $target"
  run rm -rf "$staging"
  run mkdir -p "$staging"
  run install -m 0644 "$bundle_dir/$ENTRY" "$bundle_dir/package.json" "$staging/"
  run mkdir -p "$staging/$DEMO_PHOTOS"
  run install -m 0644 "$bundle_dir/$DEMO_PHOTOS/PROVENANCE.md" "$bundle_dir/$DEMO_PHOTOS/"*.png \
    "$staging/$DEMO_PHOTOS/"
  if [[ "$transport" == mqttjs ]]; then
    # Otherwise npm tries to compile aws-crt from source, which fails on 32-bit ARM.
    run npm pkg delete optionalDependencies.aws-iot-device-sdk-v2 --prefix "$staging"
  fi
  if ((skip_npm)); then
    note 'skipping npm install (--skip-npm-install)'
  else
    note 'installing runtime dependencies (better-sqlite3, mqtt, pino, aws-iot-device-sdk-v2, node-sense-hat, onoff, sense-hat-led); native modules may compile for a few minutes'
    if ! command -v make >/dev/null || ! command -v g++ >/dev/null; then
      note 'no compiler found: if a native module has no prebuilt binary, install build-essential and python3, then run this again'
    fi
    run npm install --prefix "$staging" --omit=dev --no-audit --no-fund
  fi
  if [[ -d "$target" ]]; then
    run rm -rf "$target.old"
    run mv "$target" "$target.old"
  fi
  run mv "$staging" "$target"
  run rm -rf "$target.old"
}

install_command() {
  local node_bin="$1" wrapper="$destdir$BIN_LINK"
  note "installing $BIN_LINK"
  run mkdir -p "$(dirname "$wrapper")"
  if ((dry_run)); then
    printf '+ write %s\n' "$wrapper"
    return
  fi
  {
    printf '#!/bin/sh\n# Installed by install-pi.sh.\n'
    printf "exec '%s' '%s' \"\$@\"\n" "$node_bin" "$APP_DIR/$ENTRY"
  } >"$wrapper"
  chmod 0755 "$wrapper"
}

install_unit() {
  local node_bin="$1" unit="$destdir$UNIT_DIR/$SERVICE.service"
  note "installing $UNIT_DIR/$SERVICE.service"
  run mkdir -p "$destdir$UNIT_DIR"
  if ((dry_run)); then
    printf '+ write %s (ExecStart with %s)\n' "$unit" "$node_bin"
    return
  fi
  # The unit ships with /usr/bin/node; use the node this script checked.
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$node_bin #" "$bundle_dir/$SERVICE.service" >"$unit"
  chmod 0644 "$unit"
}

install_config() {
  local dir="$destdir$CONFIG_DIR"
  run mkdir -p "$dir"
  run install -m 0644 "$bundle_dir/agent.example.json" "$dir/agent.example.json"
  if [[ -e "$dir/agent.json" ]]; then
    note "keeping the existing $CONFIG_DIR/agent.json"
  else
    note "writing an example $CONFIG_DIR/agent.json (edit thingName and endpoint)"
    # No secrets in it: world-readable so `coffee-iot-agent status` works for any admin.
    run install -m 0644 "$bundle_dir/agent.example.json" "$dir/agent.json"
  fi
}

# The camera programs come from apt, not npm; the agent reports a missing one as a camera
# failure at every press, so say it now.
check_camera() {
  if command -v rpicam-still >/dev/null || command -v libcamera-still >/dev/null; then
    note 'camera program found'
  else
    note 'no camera program (rpicam-still or libcamera-still) found: sudo apt install rpicam-apps (Bookworm) or libcamera-apps (Bullseye)'
  fi
}

reload_systemd() {
  if ! command -v systemctl >/dev/null; then
    note 'systemctl not found: skipping daemon-reload'
    return
  fi
  run_on_system systemctl daemon-reload
  if [[ -z "$destdir" ]] && ((!dry_run)) && systemctl is-active --quiet "$SERVICE"; then
    note "restarting the running $SERVICE with the new version"
    run systemctl restart "$SERVICE"
  fi
}

next_steps() {
  cat <<EOF

coffee-iot agent installed. Next steps:
  1. Copy the device certificate, private key and Amazon Root CA 1:
       sudo install -m 0644 <id>-certificate.pem.crt $CONFIG_DIR/certificate.pem.crt
       sudo install -o $AGENT_USER -g $AGENT_USER -m 0600 <id>-private.pem.key $CONFIG_DIR/private.pem.key
       sudo install -m 0644 AmazonRootCA1.pem $CONFIG_DIR/AmazonRootCA1.pem
  2. Set thingName and endpoint in $CONFIG_DIR/agent.json
     (endpoint: aws iot describe-endpoint --endpoint-type iot:Data-ATS).
     Check it with: sudo -u $AGENT_USER coffee-iot-agent --help  (keys, defaults, variables)
  3. Start the agent now and at every boot:
       sudo systemctl enable --now $SERVICE
  4. Watch it:
       journalctl -u $SERVICE -f
       coffee-iot-agent status

Hardware notes:
  - Camera: the agent runs rpicam-still (libcamera-still as a fallback). Install it with
       sudo apt install rpicam-apps      (Bookworm)
       sudo apt install libcamera-apps   (Bullseye)
  - Coffee button: sysfs GPIO (onoff) cannot set pull-up resistors. For a button wired
    between the pin and ground, add this line to /boot/firmware/config.txt
    (/boot/config.txt on Bullseye), with button.pin's BCM number, and reboot:
       gpio=<pin>=ip,pu
EOF
}

main() {
  parse_args "$@"
  check_root
  check_bundle
  local node_bin transport
  node_bin="$(check_node)"
  note "using node $("$node_bin" -v) at $node_bin"
  transport="$(check_arch)"
  create_user
  install_app "$transport"
  install_command "$node_bin"
  install_unit "$node_bin"
  install_config
  check_camera
  reload_systemd
  next_steps
}

main "$@"
