#!/bin/bash
# The usbtest unlink tests through the project's usbip-host, again and again: 100 rounds of
# 11 (unlink bulk IN), 12 (unlink bulk OUT) and 24 (unlink from a queue of bulk OUT URBs), in
# that order each round. Every one must pass and the kernel must not oops. Unlinks race the
# completions of URBs already handed to the gadget, so a host that mixes up the two (answers
# an unlinked URB twice, forgets one, frees one still in flight) shows up here.
#   HOST_IMPL=project only: the kernel's own usbip-host oopses on this sequence on the
#   kernels this VM boots (see README.md, "Known kernel defect").
#
# Override the number of rounds with UNLINK_ROUNDS (passed to the guest via VM_PASS_ENV).
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

[ "$HOST_IMPL" = project ] ||
  vm_fail "this scenario is for HOST_IMPL=project; the kernel's usbip-host oopses on it"

rounds=${UNLINK_ROUNDS:-100}
# TEST:ITERATIONS:LENGTH:VARY:SGLEN. 11 and 12 unlink one URB per iteration, once while it
# is queued and once while the gadget may be completing it; 24 queues 8 URBs of 4 KiB and
# unlinks from the middle of the queue, so unlinks meet URBs in every state. Small iteration
# counts keep 100 rounds short under software emulation; the repetition is the point.
round=(11:4:4096:0:0 12:4:4096:0:0 24:2:4096:0:8)

vm_require_host
vm_gadget_sourcesink zero "$(vm_udc 0)" || vm_fail "making the SourceSink gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_log "SourceSink gadget enumerated as $busid"

vm_host_export "$busid" || vm_fail "exporting $busid with HOST_IMPL=$HOST_IMPL"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbtest || vm_fail "usbtest did not bind"
node=$(vm_dev_node "$imported")
vm_log "imported through vhci_hcd as $(vm_busid "$imported") ($node), usbtest bound"

plan=()
for ((i = 0; i < rounds; i++)); do plan+=("${round[@]}"); done

# One runner for the whole sequence: starting a process costs a good fraction of a second
# under emulation. The whole run must end before the VM's own deadline.
in_all=$(($(vm_time_left) - 25))
[ "$in_all" -gt 30 ] || vm_fail "too little time left for $rounds rounds"
results=/tmp/usbtest-unlink.results
run_status=0
vm_clock
started_ms=$VM_NOW_MS
vm_usbtest "$node" 15 "$in_all" "${plan[@]}" >"$results" || run_status=$?
vm_clock
vm_log "$rounds rounds took $(((VM_NOW_MS - started_ms) / 1000)) s"

passed=0 failures=0 line=0
while read -r _ test verdict rest; do
  line=$((line + 1))
  if [ "$verdict" = pass ]; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    [ "$failures" -le 10 ] &&
      echo "FAIL: round $(((line - 1) / ${#round[@]} + 1)): usbtest $test $verdict $rest"
  fi
done <"$results"
expected=${#plan[@]}
echo "usbtest unlink rounds: $passed of $expected tests passed, $failures failed"
[ "$run_status" = 124 ] && vm_log "a test ran out of time; the device is stuck"

verdict=0
[ "$passed" = "$expected" ] || verdict=1
vm_check_kernel_health || verdict=1

# After an oops or a stuck test the host's state is unknown; tearing down would only wait.
if ! vm_kernel_oops_lines >/dev/null && [ "$run_status" != 124 ]; then
  vm_detach "$imported" || vm_fail "detaching the imported device"
  vm_host_unexport "$busid" || vm_fail "giving $busid back"
  # How many of vhci's unlinks overtook their own submit (rule U3), for the record.
  ended=$(grep -m1 "session ended" "/tmp/usbip-host.$busid.log" || true)
  [ -z "$ended" ] || vm_log "worker: ${ended#* info: }"
fi
[ "$verdict" = 0 ] || exit 1
echo "PASS: $rounds rounds of usbtest 11, 12, 24 through the project's usbip-host, no oops"
