#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests: munged, slurmctld and slurmd on localhost, every file
# (key, sockets, state, spool, logs, slurm.conf) in one folder. Needs root and Debian's slurm-wlm and munge.
#
#   test/slurm/cluster.sh start DIR    # writes DIR/slurm.conf, starts the daemons, waits until the node is idle
#   export SLURM_CONF=DIR/slurm.conf   # then sbatch, squeue, sacct-less scontrol … use this cluster
#   test/slurm/cluster.sh stop DIR     # stops the three daemons (by their pid files) and leaves DIR
#
# Ports: the first free pair from 16817 (override with NCSCOPE_SLURM_PORT). The node has every core of the
# machine and 2 GiB less memory than it.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop_pid() { # stop_pid FILE NAME
  [[ -f "$1" ]] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$1"
}

if [[ "$cmd" == stop ]]; then
  dir=$(cd "$dir" && pwd)
  stop_pid "$dir/slurmd.pid" slurmd
  stop_pid "$dir/slurmctld.pid" slurmctld
  stop_pid "$dir/munge/munged.pid" munged
  exit 0
fi
[[ "$cmd" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "$0: needs root (slurmd runs jobs as their users)" >&2; exit 1; }
for tool in munged mungekey slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found; install Debian's slurm-wlm and munge (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
runuser -u munge -- test -x "$dir" || { echo "$0: the munge user cannot reach $dir (a parent folder is private); choose a folder every user can traverse" >&2; exit 1; }
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chown munge:munge "$dir/munge"
chmod 700 "$dir/munge"
[[ -f "$dir/munge/munge.key" ]] || runuser -u munge -- mungekey -c -k "$dir/munge/munge.key"
runuser -u munge -- munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

port_free() { ! (ss -Hltn "sport = :$1" 2>/dev/null | grep -q .); }
port=${NCSCOPE_SLURM_PORT:-16817}
while ! (port_free "$port" && port_free $((port + 1))); do port=$((port + 2)); done
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) - 2048 ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=ncscope-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$dir/slurm.conf"
slurmd -f "$dir/slurm.conf"
for _ in $(seq 100); do
  state=$(scontrol show node "$host" 2>/dev/null | sed -n 's/.*State=\([A-Z_+]*\).*/\1/p' | head -1)
  [[ "$state" == IDLE* ]] && { echo "slurm: node $host idle (ports $port, $((port + 1))); export SLURM_CONF=$dir/slurm.conf"; exit 0; }
  sleep 0.2
done
echo "$0: the node did not become idle (state '${state:-none}'); logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
