#!/usr/bin/env bash
# Installs the coffee-iot agent on a Raspberry Pi (or any Linux arm64, armv7l or x86_64 box):
# system user, agent in /opt/coffee-iot/releases/VERSION with its native dependencies and demo
# photos (side by side with the previous version, /opt/coffee-iot/current pointing at the one
# that runs), the launcher the unit starts it through, the /usr/local/bin/coffee-iot-agent
# command, the systemd unit and an example /etc/coffee-iot/agent.json (never overwritten).
#
#   sudo ./install-pi.sh --from coffee-iot-agent-VERSION-linux-ARCH.tar.gz [--destdir DIR] [--dry-run]
#   sudo ./install-pi.sh [--bundle DIR] [--destdir DIR] [--skip-npm-install] [--dry-run]
#
# --from installs a release tarball (npm run release): every native module is prebuilt in it,
# so no compiler and no network are needed. Without --from, the bundle (npm run bundle -w
# device) is installed with `npm install`, which needs the network and may need a compiler.
# --destdir (or DESTDIR=) installs the files under DIR and skips everything that changes the
# running system (users, ownership, systemctl), so the layout can be built and inspected
# without root. --dry-run prints the commands without running them.
set -euo pipefail

readonly SERVICE=coffee-iot-agent
readonly AGENT_USER=coffee-iot
# i2c: Sense HAT sensors; gpio: the coffee button; video: LED matrix framebuffer and camera;
# input: the Sense HAT joystick (/dev/input/eventN); systemd-journal: the upload-logs job reads
# the agent's own journal.
readonly HARDWARE_GROUPS=(i2c gpio video input systemd-journal)
# Releases side by side (docs/agent-updates.md): releases/VERSION, with the symlinks current (what
# the unit runs), previous (what a failed update rolls back to) and agent (-> current, the path
# of earlier installs). Owned by the agent's user: the update-agent job installs releases here.
readonly APP_ROOT=/opt/coffee-iot
readonly RELEASES_DIR=$APP_ROOT/releases
readonly CURRENT_DIR=$APP_ROOT/current
# The unit's ExecStart: outside APP_ROOT and root-owned, so no update can change it.
readonly LAUNCHER=/usr/local/lib/coffee-iot/coffee-iot-launch
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
from_tarball=''
# Set once they exist; cleanup() removes them when the script ends early or at all.
work_dir=''
staging_dir=''

cleanup() {
  if [[ -n "$work_dir" ]]; then rm -rf "$work_dir"; fi
  if [[ -n "$staging_dir" ]]; then rm -rf "$staging_dir"; fi
}
trap cleanup EXIT

die() {
  printf 'install-pi.sh: error: %s\n' "$*" >&2
  exit 1
}

note() {
  printf '==> %s\n' "$*"
}

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
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
      --from)
        [[ $# -ge 2 ]] || die '--from needs a release tarball (coffee-iot-agent-VERSION-linux-ARCH.tar.gz)'
        from_tarball="$2"
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

# The machine's architecture from the kernel, refusing what no supported Node runs on. Runs
# before anything else: on armv6l there is no Node to check.
check_machine() {
  local machine
  machine="$(uname -m)"
  case "$machine" in
    aarch64 | arm64 | armv7l | armv8l | x86_64) ;;
    armv6l)
      die "this is an ARMv6 board (Raspberry Pi 1, Zero or Zero W): no Node.js 20 or newer exists for armv6l (nodejs.org and NodeSource build ARMv7 and up only), so the agent cannot run on it. Use a Raspberry Pi 3, 4, 5 or Zero 2 W (a 64-bit OS is best)."
      ;;
    *)
      die "architecture $machine is not supported: the agent is released for aarch64 (arm64), armv7l and x86_64"
      ;;
  esac
  printf '%s\n' "$machine"
}

# Prints "PATH VERSION ARCH ABI" for the node on PATH after checking its version for `arch`
# (the release's name for the userland: arm64, armv7l or x64). Node 20 is end-of-life: only
# armv7l accepts it, where no newer Node can be emulated in tests and some boards still have it.
check_node() {
  local machine="$1" node_bin info version node_arch abi major arch
  node_bin="$(command -v node || true)"
  [[ -n "$node_bin" ]] ||
    die 'node was not found on PATH. Install Node.js 22 or 24 (e.g. from the NodeSource apt repository) and run this again.'
  info="$("$node_bin" -p 'process.versions.node + " " + process.arch + " " + process.versions.modules')" ||
    die "could not run $node_bin"
  read -r version node_arch abi <<<"$info"
  major="${version%%.*}"
  # The userland, not the kernel, decides: a 32-bit Raspberry Pi OS on a Pi 4 runs a 64-bit
  # kernel (uname -m says aarch64) with an armv7l node.
  case "${node_arch:-}" in
    arm64) arch=arm64 ;;
    arm) arch=armv7l ;;
    x64) arch=x64 ;;
    '')
      case "$machine" in
        aarch64 | arm64) arch=arm64 ;;
        armv7l | armv8l) arch=armv7l ;;
        *) arch=x64 ;;
      esac
      ;;
    *) die "node at $node_bin is built for $node_arch, which the agent is not released for (arm64, arm, x64)" ;;
  esac
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 20)) || { ((major < 22)) && [[ "$arch" != armv7l || "$major" != 20 ]]; }; then
    if [[ "$arch" == armv7l ]]; then
      die "coffee-iot-agent needs Node.js 22 or newer (found v$version at $node_bin); on 32-bit ARM, Node.js 20 is still accepted. Install Node.js 22 and run this again."
    fi
    die "coffee-iot-agent needs Node.js 22 or newer (found v$version at $node_bin). Install Node.js 24 (or 22) and run this again."
  fi
  if ((major == 20)); then
    note "warning: Node.js 20 is end-of-life (April 2026) and gets no security fixes; install Node.js 22 when your board allows" >&2
  fi
  # The unit runs with ProtectHome=yes, so a node under a home directory (nvm) is invisible to it.
  case "$node_bin" in
    /home/* | /root/*)
      die "node at $node_bin is inside a home directory, which the service cannot see (ProtectHome=yes). Install Node.js system-wide (e.g. /usr/bin/node)."
      ;;
  esac
  printf '%s %s %s %s\n' "$node_bin" "$version" "$arch" "${abi:-}"
}

# What the agent's transport will be here, said in words that match the architecture.
describe_transport() {
  local machine="$1" arch="$2"
  if [[ "$arch" == armv7l ]]; then
    note "architecture $machine with a 32-bit ARM Node.js: the agent uses the MQTT.js transport (aws-crt has no 32-bit ARM build)"
  else
    note "architecture $machine: the agent uses the aws-crt transport (aws-iot-device-sdk-v2)"
  fi
}

# Unpacks a release tarball into a temporary directory, checks every file against SHA256SUMS
# and that it was built for this architecture and this Node's ABI; sets bundle_dir to it.
unpack_release() {
  local tarball="$1" arch="$2" node_bin="$3" version="$4" abi="$5" top listed actual release_arch abis
  [[ -f "$tarball" ]] || die "release tarball $tarball not found"
  work_dir="$(mktemp -d "${TMPDIR:-/tmp}/coffee-iot-install.XXXXXX")"
  tar -xzf "$tarball" -C "$work_dir" --no-same-owner ||
    die "$tarball could not be unpacked: download it again"
  top="$(find "$work_dir" -mindepth 1 -maxdepth 1)"
  [[ -n "$top" && "$top" != *$'\n'* && -d "$top" && -f "$top/SHA256SUMS" && -f "$top/release.json" ]] ||
    die "$tarball is not a coffee-iot release (expected one directory with SHA256SUMS and release.json)"
  note "verifying $(wc -l <"$top/SHA256SUMS") files against SHA256SUMS"
  (cd "$top" && sha256sum --check --quiet --strict SHA256SUMS >&2) ||
    die "$tarball is damaged or was modified: files above do not match its SHA256SUMS. Download it again; nothing was installed."
  listed="$(cut -c 67- "$top/SHA256SUMS" | LC_ALL=C sort)"
  actual="$(cd "$top" && find . -type f ! -name SHA256SUMS | cut -c 3- | LC_ALL=C sort)"
  [[ "$listed" == "$actual" ]] ||
    die "$tarball holds files SHA256SUMS does not list: $(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$actual") | head -3 | tr '\n' ' ')- download it again; nothing was installed."
  release_arch="$(cd "$top" && "$node_bin" -p 'require("./release.json").arch')" ||
    die "$tarball has an unreadable release.json: download it again"
  [[ "$release_arch" == "$arch" ]] ||
    die "$tarball is the $release_arch release, but this Node.js is $arch: use coffee-iot-agent-VERSION-linux-$arch.tar.gz"
  abis="$(cd "$top" && "$node_bin" -p 'require("./release.json").node.map((n) => n.abi).join(" ")')" ||
    die "$tarball has an unreadable release.json: download it again"
  if [[ -n "$abi" && " $abis " != *" $abi "* ]]; then
    die "$tarball carries native modules for Node.js $(cd "$top" && "$node_bin" -p 'require("./release.json").node.map((n) => n.version.split(".")[0] + " (ABI " + n.abi + ")").join(" and ")') only; this is Node.js v$version (ABI $abi). Install a Node.js it was built for; nothing was installed."
  fi
  bundle_dir="$top"
}

# What a native module that does not load takes away, and what to do about it.
native_consequence() {
  case "$1" in
    better-sqlite3) printf 'the spool cannot open, so the agent cannot run' ;;
    aws-crt) printf 'the aws-crt transport is unavailable (transport "auto" falls back to MQTT.js)' ;;
    nodeimu) printf 'the Sense HAT sensors (node-sense-hat) cannot be read; only --mock runs' ;;
    epoll) printf 'the coffee button (onoff, GPIO) cannot work' ;;
    ioctl) printf 'the Sense HAT LED matrix (sense-hat-led) cannot be driven' ;;
    *) printf 'a dependency of the agent is unusable' ;;
  esac
}

# A one-line load of each native module with the node that will run the agent.
native_check_code() {
  case "$1" in
    # require() alone does not open the addon; a database does.
    better-sqlite3) printf '%s' "new (require('better-sqlite3'))(':memory:').close()" ;;
    *) printf "require('%s')" "$1" ;;
  esac
}

# Loads every native module in `dir` (release.json's list, or those npm installed) and names
# each one that fails, with what it breaks and the fix. Returns 1 if any failed.
check_native_modules() {
  local dir="$1" node_bin="$2" arch="$3" modules module output failed=0
  if [[ -f "$dir/release.json" ]]; then
    modules="$(cd "$dir" && "$node_bin" -p 'require("./release.json").nativeModules.map((m) => m.package).join(" ")')" ||
      die "$dir/release.json is unreadable"
  else
    modules=''
    for module in better-sqlite3 aws-crt nodeimu epoll ioctl; do
      if [[ -d "$dir/node_modules/$module" ]]; then modules+=" $module"; fi
    done
  fi
  for module in $modules; do
    if output="$(cd "$dir" && "$node_bin" -e "$(native_check_code "$module")" 2>&1)"; then
      note "native module $module loads"
    else
      failed=1
      printf 'install-pi.sh: error: native module %s does not load: %s\n' "$module" "$(native_consequence "$module")" >&2
      printf '  %s\n' "$(printf '%s\n' "$output" | grep -m 1 -E 'Error|error' || printf '%s\n' "$output" | head -n 1)" >&2
    fi
  done
  if ((failed)); then
    if [[ -n "$from_tarball" ]]; then
      printf '  Fix: use the release tarball for this machine (coffee-iot-agent-VERSION-linux-%s.tar.gz) with a Node.js it was built for (see release.json), or report the message above.\n' "$arch" >&2
    else
      printf '  Fix: install from a release tarball (--from), which carries every native module prebuilt, or install build-essential and python3 and run this again.\n' >&2
    fi
    return 1
  fi
}

check_bundle() {
  local file
  for file in "$ENTRY" package.json coffee-iot-agent.service coffee-iot-launch.sh agent.example.json "$DEMO_PHOTOS/PROVENANCE.md"; do
    [[ -f "$bundle_dir/$file" ]] ||
      die "$bundle_dir/$file is missing: pass --from RELEASE.tar.gz, or run 'npm run bundle -w device' and use device/dist-bundle/install-pi.sh"
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

# The version being installed, from the bundle's package.json: it names releases/VERSION.
bundle_version() {
  local node_bin="$1" version
  version="$(cd "$bundle_dir" && "$node_bin" -p 'require("./package.json").version')" ||
    die "$bundle_dir/package.json is unreadable"
  [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$ ]] ||
    die "$bundle_dir/package.json has an unusable version: $version"
  printf '%s\n' "$version"
}

# Points the symlink $1 at $2 atomically: a new link under a temporary name renamed over the
# old one (mv -T: never into the directory the old link points at).
point_link() {
  local link="$1" target="$2"
  run ln -sfn "$target" "$link.tmp-install"
  run mv -Tf "$link.tmp-install" "$link"
}

# Installs into a fresh directory and swaps it in, so a failed npm install or module check
# leaves the previous version untouched and running. Then current -> the new release and
# previous -> the one it replaces.
install_app() {
  local arch="$1" node_bin="$2" version="$3" root="$destdir$APP_ROOT" releases target staging modules
  local old='' old_version link
  releases="$destdir$RELEASES_DIR"
  target="$releases/$version"
  staging="$releases/.install-$version"
  # Removed on any exit from here until it is swapped in (a dry run creates nothing).
  if ((!dry_run)); then staging_dir="$staging"; fi
  note "installing the agent $version into $RELEASES_DIR/$version"
  run rm -rf "$staging"
  run mkdir -p "$staging"
  if [[ -n "$from_tarball" ]]; then
    # Everything in the release, node_modules included: already checked and loaded above.
    run cp -R "$bundle_dir/." "$staging/"
  else
    run install -m 0644 "$bundle_dir/$ENTRY" "$bundle_dir/package.json" "$staging/"
    run mkdir -p "$staging/$DEMO_PHOTOS"
    run install -m 0644 "$bundle_dir/$DEMO_PHOTOS/PROVENANCE.md" "$bundle_dir/$DEMO_PHOTOS/"*.png \
      "$staging/$DEMO_PHOTOS/"
    modules='better-sqlite3, mqtt, pino, node-sense-hat, onoff, sense-hat-led'
    if [[ "$arch" == armv7l ]]; then
      # Otherwise npm tries to compile aws-crt from source, which fails on 32-bit ARM.
      run npm pkg delete optionalDependencies.aws-iot-device-sdk-v2 --prefix "$staging"
    else
      modules+=', aws-iot-device-sdk-v2'
    fi
    if ((skip_npm)); then
      note 'skipping npm install (--skip-npm-install)'
    else
      note "installing runtime dependencies ($modules); native modules may compile for a few minutes"
      if ! command -v make >/dev/null || ! command -v g++ >/dev/null; then
        note 'no compiler found: if a native module has no prebuilt binary, install build-essential and python3, then run this again (or use a release tarball: --from)'
      fi
      run npm install --prefix "$staging" --omit=dev --no-audit --no-fund ||
        die 'npm install failed (see above); the previous version, if any, is unchanged. A release tarball (--from) needs neither network nor compiler.'
      if ((!dry_run)); then
        check_native_modules "$staging" "$node_bin" "$arch" ||
          die 'not installed: a native module does not load (see above); the previous version, if any, is unchanged'
      fi
    fi
  fi
  if [[ -d "$target" ]]; then
    run rm -rf "$target.old"
    run mv "$target" "$target.old"
  fi
  run mv "$staging" "$target"
  staging_dir=''
  run rm -rf "$target.old"

  # An install from before side-by-side releases: a directory at agent/. It becomes the previous
  # release (under its own version) and agent/ a link to current.
  if [[ -d "$root/agent" && ! -L "$root/agent" ]]; then
    old_version="$(cd "$root/agent" && "$node_bin" -p 'require("./package.json").version' 2>/dev/null)" ||
      old_version=''
    if [[ -n "$old_version" && "$old_version" != "$version" && ! -e "$releases/$old_version" ]] &&
      [[ "$old_version" =~ ^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$ ]]; then
      note "keeping the earlier install ($old_version) as the previous release"
      run mv "$root/agent" "$releases/$old_version"
      old="$old_version"
    else
      run rm -rf "$root/agent"
    fi
  fi
  if [[ -L "$root/current" ]]; then
    link="$(readlink "$root/current")"
    if [[ "${link##*/}" != "$version" ]]; then old="${link##*/}"; fi
  fi
  if [[ -n "$old" ]]; then point_link "$root/previous" "releases/$old"; fi
  point_link "$root/current" "releases/$version"
  point_link "$root/agent" current
  # An update the agent had pending is superseded by this install.
  run rm -f "$root/update-state/pending"
  prune_releases "$root"
  run_on_system chown -R "$AGENT_USER:$AGENT_USER" "$APP_ROOT"
}

# Removes releases neither current nor previous points at: at most two stay on the card.
prune_releases() {
  local root="$1" dir name keep_current keep_previous
  keep_current="$(readlink "$root/current" 2>/dev/null || true)"
  keep_previous="$(readlink "$root/previous" 2>/dev/null || true)"
  for dir in "$root/releases"/*; do
    [[ -d "$dir" ]] || continue
    name="${dir##*/}"
    if [[ "$name" != "${keep_current##*/}" && "$name" != "${keep_previous##*/}" ]]; then
      note "removing the old release $name"
      run rm -rf "$dir"
    fi
  done
}

install_launcher() {
  note "installing $LAUNCHER"
  run mkdir -p "$(dirname "$destdir$LAUNCHER")"
  run install -m 0755 "$bundle_dir/coffee-iot-launch.sh" "$destdir$LAUNCHER"
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
    printf "exec '%s' '%s' \"\$@\"\n" "$node_bin" "$CURRENT_DIR/$ENTRY"
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
  # The unit ships with /usr/bin/node (the launcher's first argument); use the node this script checked.
  sed "s#^\(ExecStart=$LAUNCHER\) /usr/bin/node #\1 $node_bin #" "$bundle_dir/$SERVICE.service" >"$unit"
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
  local machine node_info node_bin version arch abi release
  # Nothing is touched until the machine, Node.js, the release's checksums and its native
  # modules have all been checked.
  machine="$(check_machine)"
  node_info="$(check_node "$machine")"
  read -r node_bin version arch abi <<<"$node_info"
  note "using node v$version ($arch) at $node_bin"
  if [[ -n "$from_tarball" ]]; then
    [[ "$from_tarball" == /* ]] || from_tarball="$PWD/$from_tarball"
    unpack_release "$from_tarball" "$arch" "$node_bin" "$version" "$abi"
  fi
  check_bundle
  describe_transport "$machine" "$arch"
  if [[ -n "$from_tarball" ]]; then
    check_native_modules "$bundle_dir" "$node_bin" "$arch" ||
      die 'not installed: a native module does not load (see above); nothing was changed'
  fi
  release="$(bundle_version "$node_bin")"
  create_user
  install_app "$arch" "$node_bin" "$release"
  install_launcher
  install_command "$node_bin"
  install_unit "$node_bin"
  install_config
  check_camera
  reload_systemd
  next_steps
}

main "$@"
