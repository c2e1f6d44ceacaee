#!/bin/sh
# coffee-iot-launch: the systemd unit's ExecStart. Runs the agent from $ROOT/current and, while
# an update is pending, guards the new version: it must become healthy (connected and
# publishing; the agent then removes the pending file) within the timeout the update job set,
# and in at most maxAttempts starts. Otherwise `current` goes back to the previous release and
# the reason is written for the old agent's update job to report. Plain POSIX sh, so a rollback
# happens even when the new bundle cannot run a line of JavaScript.
#
#   coffee-iot-launch NODE [AGENT ARGUMENTS...]
#
# Environment: COFFEE_IOT_ROOT (default /opt/coffee-iot), COFFEE_IOT_RETRY_PAUSE (seconds
# between starts of a new agent that exited before it was healthy, default 2),
# COFFEE_IOT_NODE_FLAGS (node/V8 flags put before the agent's file, split on spaces: the unit
# sets them here because node refuses most V8 flags in NODE_OPTIONS).
# Files: $ROOT/releases/VERSION/, $ROOT/current and $ROOT/previous (symlinks), and
# $ROOT/update-state/{pending,result} (key=value lines, see device/src/update/update-state.ts).
set -u

root=${COFFEE_IOT_ROOT:-/opt/coffee-iot}
pause=${COFFEE_IOT_RETRY_PAUSE:-2}
pending=$root/update-state/pending
result=$root/update-state/result
entry=coffee-iot-agent.mjs

log() {
  printf 'coffee-iot-launch: %s\n' "$*" >&2
}

if [ $# -lt 1 ]; then
  log 'usage: coffee-iot-launch NODE [AGENT ARGUMENTS...]'
  exit 2
fi
node=$1
shift
flags=${COFFEE_IOT_NODE_FLAGS:-}

# The value of KEY in the pending file (empty when absent).
value() {
  sed -n "s/^$1=//p" "$pending" 2>/dev/null | head -n 1
}

# $1 if it is a non-negative integer, else $2.
number() {
  case $1 in
    '' | *[!0-9]*) printf '%s' "$2" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Writes a whole file under a temporary name, then renames it over the old one.
write_file() {
  printf '%s' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# Points `current` at releases/$1 atomically (mv -T: rename(2) over the old link, never into
# the directory it points at; GNU coreutils and busybox both have it).
point_current() {
  ln -sfn "releases/$1" "$root/current.tmp-launch" && mv -Tf "$root/current.tmp-launch" "$root/current"
}

# $flags unquoted on purpose: one word per flag (flags carry no spaces or glob characters).
run_current() {
  # shellcheck disable=SC2086
  exec "$node" $flags "$root/current/$entry" "$@"
}

[ -f "$pending" ] || run_current "$@"

version=$(value version)
previous=$(value previous)
if [ -z "$version" ] || [ -z "$previous" ] || [ ! -d "$root/releases/$previous" ]; then
  log "ignoring $pending: it names no version or no installed previous release"
  rm -f "$pending"
  run_current "$@"
fi
job=$(value job)
timeout=$(number "$(value timeout)" 60)
max=$(number "$(value maxAttempts)" 3)

rollback() {
  log "$1"
  if write_file "$result" "status=rolled-back
version=$version
previous=$previous
job=$job
reason=$1
" && point_current "$previous"; then
    rm -f "$pending"
  else
    log "rollback to $previous failed: current and $pending are left as they were"
  fi
  # Flush before the old agent starts: a power cut now must not bring the new release back.
  sync
}

stopping=0
child=''
# KillMode=mixed sends SIGTERM to this script only; the agent gets it from here.
trap 'stopping=1; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi' TERM INT

# Stops the new agent at the deadline unless it became healthy first (the pending file is gone).
# Its sleeps hold no output open, so one left over after the watchdog is killed delays nothing.
watchdog() {
  while [ -f "$pending" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "new agent $version is not connected and publishing after $timeout s: stopping it"
      kill -TERM "$child" 2>/dev/null
      waited=0
      while kill -0 "$child" 2>/dev/null && [ "$waited" -lt 10 ]; do
        sleep 1 >/dev/null 2>&1
        waited=$((waited + 1))
      done
      kill -KILL "$child" 2>/dev/null
      exit 0
    fi
    sleep 1 >/dev/null 2>&1
  done
}

last=''
while :; do
  attempts=$(($(number "$(value attempts)" 0) + 1))
  now=$(date +%s)
  started=$(number "$(value started)" '')
  # A clock that went backwards (no RTC, NTP not yet synchronised) restarts the count of seconds.
  if [ -z "$started" ] || [ "$now" -lt "$started" ]; then started=$now; fi
  deadline=$((started + timeout))
  if [ "$attempts" -gt "$max" ]; then
    rollback "new agent $version exited $max times (last exit code ${last:-unknown}) before it was connected and publishing; rolled back to $previous"
    break
  fi
  if [ "$now" -ge "$deadline" ]; then
    rollback "new agent $version did not connect and publish within $timeout s; rolled back to $previous"
    break
  fi
  write_file "$pending" "version=$version
previous=$previous
job=$job
timeout=$timeout
maxAttempts=$max
attempts=$attempts
started=$started
"
  log "starting new agent $version (attempt $attempts of $max, healthy within $((deadline - now)) s or rolled back to $previous)"
  # shellcheck disable=SC2086
  "$node" $flags "$root/current/$entry" "$@" &
  child=$!
  watchdog &
  guard=$!
  wait "$child"
  code=$?
  # A trapped signal ends `wait` early: wait again for the agent's own exit status.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  kill "$guard" 2>/dev/null
  child=''
  # Stopped by systemd, or healthy (or rolled back by the agent itself) and exited since:
  # systemd restarts it as for any exit.
  if [ "$stopping" = 1 ] || [ ! -f "$pending" ]; then exit "$code"; fi
  last=$code
  log "new agent $version exited with code $code before it was connected and publishing"
  sleep "$pause"
  if [ "$stopping" = 1 ]; then exit "$code"; fi
done
trap - TERM INT
run_current "$@"
