#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# irq_balancer against irqbalance (Debian's), in one VM run, on the same load:
# the four-NIC UDP load of the selftests (tools/testing/selftests/irq_balancer/
# irq_lib.sh; the VM needs 4 vCPUs and --nics 4).
#
# A load step: the streams run with every line of the four NICs on CPU 0;
# after 2 s the balancer starts (t = 0). Every $STEP s for $RUN s sample.py
# reads /proc/interrupts and the lines' affinities, and records the imbalance
# of that step: the busiest CPU's interrupt rate in percent of the mean (100
# is even; the target is 120), over the four NICs' lines (the load that
# stepped) and over every device line. It reports, per balancer:
#   - the time to the target: the first step from which the NICs' imbalance
#     stays at or under 120% for $HOLD s (and the same over every line);
#   - the share of the run's steps over the target, and the median imbalance
#     of the last half of the run;
#   - moves per minute: changes of a line's affinity seen between steps;
#   - CPU cost: irq_balancer's sampler time (busy-ns), irqbalance's user and
#     system time (/proc/PID/stat);
#   - memory: irq_balancer's state (memory-bytes) plus its module's size,
#     irqbalance's resident set (VmRSS).
# Balancers: irq_balancer with its defaults (250 ms interval), irqbalance with
# its default 10 s interval, and irqbalance at 1 s. Ratios are irq_balancer /
# irqbalance. The series goes to OUTDIR/series.tsv.
#
# usage: bench.sh OUTDIR   (IRQ=0 skips it)
set -u
out=${1:?usage: bench.sh OUTDIR}
[ "${IRQ:-1}" = 1 ] || exit 0
mkdir -p "$out"
cd "$(dirname "$0")/../../.." || exit 1
. tools/build/env.sh
. tools/testing/selftests/pvio_lib.sh
udp=$PVIO_ROOT/tools/target/release/udp-seq
pvio=$PVIO_ROOT/tools/target/release/pvio
KO=$PVIO_ROOT/irq_balancer/irq_balancer.ko
RATE=${IRQ_RATE:-1000}
RUN=${IRQ_RUN:-60}
STEP=0.5
HOLD=5
tmp=$(mktemp -d)
. tools/testing/selftests/irq_balancer/irq_lib.sh
log() { echo "bench: $*" | tee -a "$out/summary.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
now() { date +%s.%N; }

cleanup() {
	pkill -x irqbalance 2>/dev/null
	irq_teardown
	rmmod irq_balancer 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! irq_find_nics >"$tmp/why"; then
	log "irq_balancer: skipped: $(cat "$tmp/why")"
	exit 0
fi
command -v irqbalance >/dev/null || { log "irq_balancer: skipped: no irqbalance (make setup)"; exit 0; }
[ "$irq_ncpu" -ge 4 ] || log "irq_balancer: only $irq_ncpu CPUs; the figures assume 4"
irq_setup_namespaces || { log "irq_balancer: cannot set up the namespaces"; exit 1; }
printf 'balancer\tt_s\timbalance_pct\tmanaged_pct\tmoves\n' >"$out/series.tsv"

# One run: $1 names it; $2 starts the balancer and prints the pid to watch
# (0 for the module); $3 stops it. sample.py takes the steps.
trial() { # name start stop
	local name=$1 pid t0 cost0 cost1 mem moves
	irq_pin_all 0 || return 1
	irq_start_traffic $((RUN + 15))
	sleep 2
	rm -f "$tmp/ready"
	python3 tools/bench/irq_balancer/sample.py "$RUN" "$STEP" "$tmp/ready" $(irq_lines) >"$tmp/raw" &
	local sampler=$!
	slowwait 20 test -e "$tmp/ready" || { log "$name: the sampler did not start"; return 1; }
	t0=$(now)
	pid=$($2) || { log "$name: did not start"; irq_stop_traffic; return 1; }
	if [ "$pid" != 0 ] && ! { sleep 0.2; kill -0 "$pid" 2>/dev/null; }; then
		log "$name: exited at once: $(tail -n 3 "$out"/irqbalance-*.log | tr '\n' ' ')"
		irq_stop_traffic
		return 1
	fi
	cost0=$(cpu_ns "$pid")
	wait "$sampler"
	awk -F '\t' -v OFS='\t' -v name="$name" -v t0="$t0" \
		'{ print name, sprintf("%.2f", $1 - t0), $2, $3, $4 }' "$tmp/raw" >"$tmp/steps"
	cat "$tmp/steps" >>"$out/series.tsv"
	moves=$(tail -n 1 "$tmp/steps" | cut -f 5)
	cost1=$(cpu_ns "$pid")
	mem=$(mem_bytes "$pid")
	$3 "$pid"
	irq_stop_traffic
	sleep 1
	read -r reach_m over_m med_m < <(summarize 4 "$tmp/steps")
	read -r reach_a over_a med_a < <(summarize 3 "$tmp/steps")
	echo "$name $reach_m $over_m $(awk -v m="$moves" -v r="$RUN" 'BEGIN { printf "%.1f", m * 60 / r }')" \
		"$med_m $(awk -v c=$((cost1 - cost0)) 'BEGIN { printf "%.3f", c / 1e6 }') $mem $reach_a $med_a" >>"$tmp/results"
}

# Over one column of a run's steps (3: every device line, 4: the NICs'):
# the time to the target (the start of the first run of steps at or under
# 120% that lasts HOLD s, "never" without one), the share of steps over it,
# and the median of the last half.
summarize() { # column steps
	local n med
	n=$(wc -l <"$2")
	med=$(tail -n $((n - n / 2)) "$2" | cut -f "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	awk -F '\t' -v col="$1" -v hold="$HOLD" -v med="$med" '
		{ t[NR] = $2; p[NR] = $col; n = NR }
		END {
			reach = -1; start = -1
			for (i = 1; i <= n; i++) {
				if (p[i] > 120) { start = -1; continue }
				if (start < 0) start = (i > 1 ? t[i - 1] : 0)
				if (t[i] - start >= hold && reach < 0) reach = start
			}
			over = 0; for (i = 1; i <= n; i++) if (p[i] > 120) over++
			printf "%s %.3f %s\n", (reach < 0 ? "never" : sprintf("%.1f", reach)), over / n, med
		}' "$2"
}

# CPU time of a balancer in ns: the module's sampler time, or a process's
# user and system time.
cpu_ns() { # pid
	if [ "$1" = 0 ]; then
		"$pvio" irq config --json | jq -r .busy_ns
	else
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
	fi
}

# Memory of a balancer in bytes: the module's state and its size, or a
# process's resident set.
mem_bytes() { # pid
	if [ "$1" = 0 ]; then
		echo $(($("$pvio" irq config --json | jq -r .memory_bytes) +
			$(awk '$1 == "irq_balancer" { print $2 }' /proc/modules)))
	else
		awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
	fi
}

start_module() {
	insmod "$KO" || return 1
	local i
	for i in 1 2 3 4; do in_ns $i "$pvio" irq add "${irq_nic[i]}" >&2 || return 1; done
	echo 0
}
stop_module() {
	# What the pressure thresholds see at the end of the run.
	log "irq_balancer's CPUs at the end: $("$pvio" irq cpus | tr '\n' ';')"
	rmmod irq_balancer
}
start_irqbalance() { # interval
	irqbalance --foreground --interval="$1" >"$out/irqbalance-$1s.log" 2>&1 &
	echo $!
}
start_irqbalance10() { start_irqbalance 10; }
start_irqbalance1() { start_irqbalance 1; }
stop_irqbalance() { kill "$1"; wait "$1" 2>/dev/null; }

log "irq_balancer vs irqbalance $(irqbalance --version 2>&1 | head -n 1 | awk '{ print $NF }'):" \
	"4 NICs x $RATE datagrams/s each way, all lines on CPU 0, then the balancer starts; $RUN s, steps of $STEP s"
: >"$tmp/results"
trial irq_balancer start_module stop_module
trial irqbalance-10s start_irqbalance10 stop_irqbalance
trial irqbalance-1s start_irqbalance1 stop_irqbalance

while read -r name reach over mpm med cost mem reach_a med_a; do
	log "$name: the NICs' interrupts within 120% of the mean (held ${HOLD} s) after ${reach} s;" \
		"$(awk -v o="$over" 'BEGIN { printf "%d", o * 100 }')% of steps over; median ${med}% in the last half;" \
		"every device line: after ${reach_a} s, median ${med_a}%; ${mpm} moves/min; CPU ${cost} ms; memory $((mem / 1024)) KiB"
done <"$tmp/results"
read -r _ r0 _ m0 _ c0 b0 _ < <(sed -n 1p "$tmp/results")
for k in 2 3; do
	read -r name r _ m _ c b _ < <(sed -n ${k}p "$tmp/results")
	[ -n "${name:-}" ] || continue
	if [ "$r0" = never ]; then
		rt="never reached by irq_balancer"
	elif [ "$r" = never ]; then
		rt="never reached by $name in $RUN s (< $(ratio "$r0" "$RUN"))"
	else
		rt=$(ratio "$r0" "$r")
	fi
	log "ratio irq_balancer/$name: time to target $rt, moves/min $(ratio "$m0" "$m"), CPU $(ratio "$c0" "$c"), memory $(ratio "$b0" "$b")"
done
