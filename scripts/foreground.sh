#!/usr/bin/env bash
# foreground.sh CMD [ARG...] runs CMD for `make run` so that Ctrl-C stops
# CMD alone and make exits with CMD's status (0 after a graceful shutdown).
#
# A terminal sends Ctrl-C's SIGINT to its whole foreground process group.
# GNU make, on SIGINT, waits for its children and then kills itself with
# SIGINT, so `make run` would end "interrupted" (status 130) even though
# helpr shut down cleanly. When make is the terminal's foreground job, this
# script runs CMD as a job of its own (set -m): the terminal hands CMD the
# foreground, Ctrl-C reaches CMD only, and make sees CMD's exit status.
# Anywhere else (no terminal, `make run &`, CI) it simply execs CMD.
set -u

# in_foreground: stdin is a terminal whose foreground process group is
# ours. On Linux it starts no process: a job-control shell in the
# background that waits for a child takes the terminal back afterwards.
in_foreground() {
  [ -t 0 ] || return 1
  local stat
  if [ -r /proc/$$/stat ]; then
    read -r stat </proc/$$/stat # pid (comm) state ppid pgrp session tty tpgid …
    set -- ${stat##*) }
    [ "$3" = "$6" ]
  else
    set -- $(ps -o pgid= -o tpgid= -p $$ 2>/dev/null)
    [ "$#" -eq 2 ] && [ "$1" = "$2" ]
  fi
}

# stopped STATUS: STATUS says a job-control shell's job was stopped.
stop_codes=" $((128 + $(kill -l STOP))) $((128 + $(kill -l TSTP))) $((128 + $(kill -l TTIN))) $((128 + $(kill -l TTOU))) "
stopped() { case "$stop_codes" in *" $1 "*) return 0 ;; esac; return 1; }

# resume: CMD was stopped (Ctrl-Z); it is a job of its own, so stop make
# with it, as the user's shell expects. `fg` of make resumes CMD in the
# foreground again; `bg` resumes it in the background, without job
# control, where a later Ctrl-C (after `fg` of make) is passed on to CMD.
# A function, not a loop: bash breaks out of a loop whose job stops.
resume() {
  kill -STOP 0
  if ! in_foreground; then
    set +m
    trap 'kill -INT "$pid" 2>/dev/null' INT
    kill -CONT -- -"$pid"
    wait "$pid"
    status=$?
    while kill -0 "$pid" 2>/dev/null; do # wait returned for the trap: wait for CMD's own status
      wait "$pid"
      status=$?
    done
    return
  fi
  fg %1 >/dev/null
  status=$?
  if stopped "$status"; then resume; fi
}

in_foreground || exec "$@"
set -m
"$@"
status=$?
if stopped "$status"; then
  pid=$(jobs -p %1) # now, while still in the foreground
  resume
fi
exit "$status"
