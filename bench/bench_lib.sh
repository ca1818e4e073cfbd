# shellcheck shell=bash
# Helpers of bench/live.sh and bench/memory.sh (sourced): free ports, the daemon's /metrics, and
# CPU time and resident memory from /proc. Plain bash and (m)awk; nothing to install.

# bench_prepare NAME: the common start of live.sh and memory.sh, after their options. Needs $build
# and $KEEP; sets $tool and $daemon (exits 2 if either is not built) and $work ($KEEP, or a temporary
# directory), and on exit kills every process in $pids and removes $work unless it is $KEEP.
bench_prepare() {
  tool=$build/daemon/dasflow
  daemon=$build/daemon/dasflowd
  local b
  for b in "$tool" "$daemon"; do
    [ -x "$b" ] || { echo "$1: $b not built (ninja -C $build dasflow dasflowd)" >&2; exit 2; }
  done
  if [ -n "$KEEP" ]; then
    work=$KEEP
    mkdir -p "$work"
  else
    work=$(mktemp -d)
  fi
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  [ -n "$KEEP" ] || rm -rf "$work"
}

# A TCP port nobody listens on (checked against /proc/net/tcp{,6}; binding "localhost" fails on
# some machines, so everything uses 127.0.0.1).
free_port() {
  local p hex
  while :; do
    p=$((20000 + RANDOM % 40000))
    hex=$(printf ':%04X ' "$p")
    grep -qs "$hex" /proc/net/tcp /proc/net/tcp6 || { echo "$p"; return; }
  done
}

# GET PATH from the daemon's control server on 127.0.0.1:PORT; prints the body (nothing when the
# daemon is not listening). In a subshell: a failed /dev/tcp redirection ends only that.
http_get() { # port path
  (
    exec 3<> "/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    timeout 5 cat <&3
  ) 2> /dev/null | tr -d '\r' | sed '1,/^$/d'
}

# One sample of the daemon's Prometheus text (name with labels, exactly as printed), or nothing.
metric() { # port name
  http_get "$1" /metrics 2> /dev/null | awk -v k="$2" '$1 == k {print $2; exit}'
}

# Resident set (kB) of a process, 0 once it is gone.
rss_kb() { awk '/^VmRSS/ {print $2; found = 1} END {if (!found) print 0}' "/proc/$1/status" 2> /dev/null || echo 0; }

# CPU time of every process (and of the threads of PID) at this instant, to FILE:
#   T <seconds>   C <the cpu line of /proc/stat>   P <pid> <ticks> <comm>   H <tid> <ticks> <comm>
cpu_snapshot() { # file [pid whose threads to list]
  {
    echo "T $(date +%s.%N)"
    echo "C $(head -1 /proc/stat)"
    { cat /proc/[0-9]*/stat 2> /dev/null || true; } | awk '{
      o = index($0, " ("); c = 0
      for (i = length($0); i > 0; i--) if (substr($0, i, 2) == ") ") { c = i; break }
      if (!o || !c) next
      comm = substr($0, o + 2, c - o - 2); gsub(/ /, "_", comm)
      split(substr($0, c + 2), f, " ")
      print "P", substr($0, 1, o - 1), f[12] + f[13], comm
    }'
    if [ -n "${2:-}" ]; then
      { cat /proc/"$2"/task/[0-9]*/stat 2> /dev/null || true; } | awk '{
        o = index($0, " ("); c = 0
        for (i = length($0); i > 0; i--) if (substr($0, i, 2) == ") ") { c = i; break }
        comm = substr($0, o + 2, c - o - 2); gsub(/ /, "_", comm)
        split(substr($0, c + 2), f, " ")
        print "H", substr($0, 1, o - 1), f[12] + f[13], comm
      }'
    fi
  } > "$1"
}

# CPU use between two snapshots, as % of one core: the daemon (and its busiest threads), the
# simulator, the subscriber, the whole machine (from /proc/stat, so processes that came and went in
# between, such as compilers, count too) and the busiest other processes alive at both ends.
cpu_report() { # before after daemon_pid [simulate_pid] [sub_pid]
  awk -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" -v d="$3" -v spid="${4:-}" -v bpid="${5:-}" '
    FNR == 1 { pass++ }
    $1 == "T" { t[pass] = $2 }
    $1 == "C" { for (i = 3; i <= 10; i++) all[pass] += $i; idle[pass] = $6 + $7 }
    $1 == "P" { p[pass, $2] = $3; comm[$2] = $4 }
    $1 == "H" { h[pass, $2] = $3; hcomm[$2] = $4; if (pass == 2) tids[$2] = 1 }
    END {
      dt = t[2] - t[1]
      for (k in comm) if ((2, k) in p) {
        v = (p[2, k] - ((1, k) in p ? p[1, k] : 0)) / hz / dt * 100
        use[k] = v
      }
      printf "dasflowd: %.1f%% CPU", use[d]
      for (k in tids) tuse[k] = (h[2, k] - ((1, k) in h ? h[1, k] : 0)) / hz / dt * 100
      n = 0
      for (r = 0; r < 8; r++) { # the busiest threads first (name:tid)
        best = ""; bv = 1
        for (k in tuse) if (!(k in tshown) && tuse[k] >= bv) { best = k; bv = tuse[k] }
        if (best == "") break
        tshown[best] = 1
        line = line sprintf("%s %s:%s %.0f%%", (n++ ? "," : ""), hcomm[best], best, bv)
      }
      if (n) printf " (threads:%s)", line
      printf "\n"
      if (spid != "") printf "simulate: %.1f%% CPU, ", (spid in use) ? use[spid] : 0
      printf "sub: %.1f%% CPU\n", (bpid in use) ? use[bpid] : 0
      tot = all[2] - all[1]
      machine = (tot > 0) ? (tot - (idle[2] - idle[1])) / tot * cores * 100 : 0
      ours = use[d] + ((spid in use) ? use[spid] : 0) + ((bpid in use) ? use[bpid] : 0)
      printf("machine: %.0f%% busy of %d%%, %.0f%% of it not ours (short-lived processes included)", machine, cores * 100, machine > ours ? machine - ours : 0)
      m = 0
      for (r = 0; r < 4; r++) {
        best = ""; bv = 2
        for (k in use) if (k != d && k != spid && k != bpid && !(k in shown) && use[k] > bv) { best = k; bv = use[k] }
        if (best == "") break
        shown[best] = 1
        others = others sprintf("%s %s %.0f%%", (m++ ? "," : ""), comm[best], bv)
      }
      printf "; busiest others still running:%s\n", m ? others : " none above 2%"
    }' "$1" "$2"
}
