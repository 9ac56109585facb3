# shellcheck shell=bash
# Shell library for scenarios that run inside the test VM (bash; source it).
#
# What it offers, by group:
#   running    vm_log, vm_fail, vm_run_bounded, vm_wait_for
#   gadgets    vm_gadget_sourcesink, vm_gadget_mass_storage, vm_gadget_hid_keyboard,
#              vm_gadget_acm, vm_gadget_hid_storage (configfs gadgets on dummy_udc.N),
#              vm_gadget_unplug, vm_gadget_plug, vm_gadget_replug, vm_gadget_remove
#   devices    vm_gadget_device (the gadget as the guest's USB host sees it), vm_dev_node,
#              vm_busid, vm_block_device, vm_disk_max_transfer, vm_wait_driver,
#              vm_qemu_audio_device (QEMU's emulated usb-audio, when VM_QEMU_ARGS adds it),
#              vm_first_match
#   USB/IP     vm_host_export, vm_host_unexport (the server: HOST_IMPL=kernel runs usbipd +
#              usbip bind, HOST_IMPL=project runs the project's usbip-host),
#              vm_host_export_policy, vm_host_unexport_policy (usbip-host --policy-dir), vm_attach,
#              vm_detach (the client: usbip attach/detach through vhci_hcd on 127.0.0.1)
#   kernel     vm_kernel_oops_lines, vm_check_kernel_health
#   usbtest    vm_usbtest (tests of the kernel's usbtest driver through usbtest-runner),
#              vm_usbtest_oops_test
#
# Functions that find something print it on stdout; all of them return non-zero on failure
# after saying why on stderr, so a scenario writes `x=$(vm_...) || vm_fail "..."`.
# Every wait is bounded: nothing here can hang a scenario.

: "${HOST_IMPL:=kernel}"
: "${BUILD_DIR:?BUILD_DIR must name the build tree}"
: "${SOURCE_DIR:?SOURCE_DIR must name the source tree}"

VM_GADGETS=/sys/kernel/config/usb_gadget
VM_USBIP_PORT=3240
VM_STATE_DIR=/run/vm-lib
[ -d "$VM_STATE_DIR" ] || mkdir -p "$VM_STATE_DIR"

# Starting a process costs a good fraction of a second under software emulation, so the
# polling helpers here use shell builtins only (read instead of cat, [ -ef ] instead of
# readlink, read -t on a silent FIFO instead of sleep).
[ -p "$VM_STATE_DIR/silence" ] || mkfifo "$VM_STATE_DIR/silence"
exec {VM_SILENCE_FD}<>"$VM_STATE_DIR/silence"

# vm_sleep SECONDS (fractions allowed)
vm_sleep() { read -r -t "$1" -u "$VM_SILENCE_FD" _ || true; }

# vm_read FILE: prints the first line of FILE; fails when it cannot be read.
vm_read() {
  local line
  read -r line 2>/dev/null <"$1" || [ -n "$line" ] || return 1
  echo "$line"
}

# --- running ------------------------------------------------------------------------------

vm_log() {
  local up _
  read -r up _ </proc/uptime
  printf '[%7s] %s\n' "$up" "$*" >&2
}

vm_fail() {
  local line
  vm_log "FAIL: $*"
  # An oops explains many failures; say so next to the failure.
  vm_kernel_oops_lines 2>/dev/null | while IFS= read -r line; do
    vm_log "the kernel oopsed:${line#*]}"
  done
  exit 1
}

# vm_run_bounded SECONDS COMMAND [ARGS...]
# Runs the command with a deadline and returns its status, or 124 when it ran out of time.
# A process blocked inside the kernel (a usbfs ioctl waiting for a URB that never completes)
# cannot be killed, so past the deadline this never waits for it: it is left behind, reported.
vm_run_bounded() {
  local seconds=$1 parent=$BASHPID timed_out=0 status=0 pid watchdog
  shift
  trap 'timed_out=1' USR1
  "$@" &
  pid=$!
  # The watchdog holds none of the caller's output open, or a $(...) around this call would
  # wait for it.
  (
    vm_sleep "$seconds"
    kill -USR1 "$parent"
  ) </dev/null >/dev/null 2>&1 &
  watchdog=$!
  wait "$pid" || status=$?
  # A late signal from the watchdog must not kill this shell.
  trap ':' USR1
  if [ "$timed_out" -eq 0 ]; then
    kill "$watchdog" 2>/dev/null
    return "$status"
  fi
  vm_log "timed out after ${seconds}s: $*"
  kill -TERM "$pid" 2>/dev/null
  local _
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$pid" 2>/dev/null || return 124
    vm_sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null
  vm_sleep 0.5
  if kill -0 "$pid" 2>/dev/null; then
    vm_log "process $pid is stuck in the kernel (state $(awk '/^State:/ {print $2}' \
      "/proc/$pid/status" 2>/dev/null)); leaving it behind"
  fi
  return 124
}

# vm_clock: sets VM_NOW_MS to milliseconds since the epoch, without forking (processes are
# slow to start under emulation, and a poll loop starts many).
vm_clock() {
  local now=${EPOCHREALTIME/./}
  VM_NOW_MS=$((now / 1000))
}

# vm_time_left: seconds left before the VM's deadline (VM_DEADLINE, in seconds since the epoch,
# set by the host: the guest's clock starts from the host's), so that a scenario can stop and
# report before the host kills the VM.
vm_time_left() {
  vm_clock
  echo $((${VM_DEADLINE:-0} - VM_NOW_MS / 1000))
}

# vm_wait_for SECONDS WHAT COMMAND [ARGS...]
# Polls the command every 0.1 s until it succeeds; says WHAT it waited for when it gives up.
vm_wait_for() {
  local seconds=$1 what=$2 deadline
  shift 2
  vm_clock
  deadline=$((VM_NOW_MS + seconds * 1000))
  until "$@" >/dev/null 2>&1; do
    vm_clock
    if [ "$VM_NOW_MS" -ge "$deadline" ]; then
      vm_log "gave up after ${seconds}s waiting for $what"
      return 1
    fi
    vm_sleep 0.1
  done
}

# --- gadgets (configfs on dummy_hcd) ------------------------------------------------------

# vm_udc N: the name of the Nth emulated device controller (dummy_hcd loads with two).
vm_udc() { echo "dummy_udc.${1:-0}"; }

# vm_gadget_create NAME VENDOR PRODUCT DESCRIPTION: a gadget with one configuration, no
# functions yet, not plugged in.
vm_gadget_create() {
  local name=$1 vendor=$2 product=$3 description=$4 g=$VM_GADGETS/$1
  [ -d "$VM_GADGETS" ] || {
    vm_log "configfs gadgets unavailable ($VM_GADGETS)"
    return 1
  }
  mkdir "$g" "$g/strings/0x409" "$g/configs/c.1" "$g/configs/c.1/strings/0x409" || return 1
  echo "$vendor" >"$g/idVendor"
  echo "$product" >"$g/idProduct"
  echo 0x0200 >"$g/bcdUSB"
  echo 0x0100 >"$g/bcdDevice"
  echo "usbip-sandbox" >"$g/strings/0x409/manufacturer"
  echo "$description" >"$g/strings/0x409/product"
  echo "vm-$name" >"$g/strings/0x409/serialnumber"
  echo 120 >"$g/configs/c.1/MaxPower"
  echo "$description" >"$g/configs/c.1/strings/0x409/configuration"
}

# vm_gadget_new_function NAME FUNCTION (type.instance, e.g. SourceSink.0): creates the
# function, not yet in the configuration; prints its configfs directory. Its attributes can
# be written until vm_gadget_link_function puts it in the configuration (then they are busy).
vm_gadget_new_function() {
  mkdir "$VM_GADGETS/$1/functions/$2" || return 1
  echo "$VM_GADGETS/$1/functions/$2"
}

vm_gadget_link_function() {
  ln -s "$VM_GADGETS/$1/functions/$2" "$VM_GADGETS/$1/configs/c.1/"
}

# vm_gadget_add_function NAME FUNCTION [ATTRIBUTE=VALUE...]: creates the function, sets its
# attributes and puts it in the configuration.
vm_gadget_add_function() {
  local name=$1 function=$2 f setting
  shift 2
  f=$(vm_gadget_new_function "$name" "$function") || return 1
  for setting in "$@"; do
    echo "${setting#*=}" >"$f/${setting%%=*}" || return 1
  done
  vm_gadget_link_function "$name" "$function"
}

# vm_gadget_plug NAME UDC: connects the gadget to the controller; the guest's USB host then
# enumerates it.
vm_gadget_plug() {
  echo "$2" >"$VM_GADGETS/$1/UDC" || return 1
  echo "$2" >"$VM_STATE_DIR/gadget-$1.udc"
}

# vm_gadget_unplug NAME: disconnects the gadget, as pulling its cable would (vm_gadget_plug
# remembered where it was plugged in, for vm_gadget_replug).
vm_gadget_unplug() {
  echo "" >"$VM_GADGETS/$1/UDC"
}

# vm_gadget_replug NAME [SECONDS_UNPLUGGED]: unplug, then plug back into the same controller.
vm_gadget_replug() {
  local udc
  udc=$(vm_read "$VM_STATE_DIR/gadget-$1.udc") || {
    vm_log "gadget $1 was never plugged in"
    return 1
  }
  vm_gadget_unplug "$1" || return 1
  vm_sleep "${2:-0.5}"
  vm_gadget_plug "$1" "$udc"
}

# vm_gadget_remove NAME: unplugs and dismantles the gadget.
vm_gadget_remove() {
  local g=$VM_GADGETS/$1 link function
  [ -d "$g" ] || return 0
  [ -z "$(vm_read "$g/UDC")" ] || vm_gadget_unplug "$1"
  for link in "$g"/configs/c.1/*.*; do
    [ -L "$link" ] && rm "$link"
  done
  rmdir "$g/configs/c.1/strings/0x409" "$g/configs/c.1"
  for function in "$g"/functions/*; do
    [ -d "$function" ] && rmdir "$function"
  done
  rmdir "$g/strings/0x409" "$g"
}

# The Linux "Gadget Zero" ids: the kernel's usbtest driver binds to this SourceSink.
VM_ZERO_VENDOR=0x0525
VM_ZERO_PRODUCT=0xa4a0
# Linux Foundation, "Multifunction Composite Gadget": for the other gadgets.
VM_COMPOSITE_VENDOR=0x1d6b
VM_COMPOSITE_PRODUCT=0x0104

# vm_gadget_sourcesink NAME UDC: bulk source and sink (usbtest's peer), zeros as its pattern,
# which is what usbtest expects by default (and what its performance tests require).
vm_gadget_sourcesink() {
  vm_gadget_create "$1" $VM_ZERO_VENDOR $VM_ZERO_PRODUCT "Gadget Zero SourceSink" || return 1
  vm_gadget_add_function "$1" SourceSink.0 pattern=0 || return 1
  vm_gadget_plug "$1" "$2"
}

# vm_gadget_mass_storage NAME UDC BACKING_FILE [SIZE_MIB]: a USB disk backed by a file
# (created, sparse, when missing; 64 MiB unless told).
vm_gadget_mass_storage() {
  local name=$1 udc=$2 backing=$3 size=${4:-64}
  [ -f "$backing" ] || truncate -s "${size}M" "$backing" || return 1
  vm_gadget_create "$name" $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT "Mass Storage" || return 1
  vm__add_mass_storage "$name" "$backing" || return 1
  vm_gadget_plug "$name" "$udc"
}

vm__add_mass_storage() {
  vm_gadget_add_function "$1" mass_storage.0 lun.0/removable=0 "lun.0/file=$2"
}

# The boot keyboard report descriptor (HID 1.11, appendix B.1): 8-byte reports.
VM_KEYBOARD_REPORT_DESC="05 01 09 06 a1 01 05 07 19 e0 29 e7 15 00 25 01 75 01 95 08 81 02 95 01
  75 08 81 03 95 05 75 01 05 08 19 01 29 05 91 02 95 01 75 03 91 03 95 06 75 08 15 00 25 65 05 07
  19 00 29 65 81 00 c0"

vm__add_hid_keyboard() {
  local f escaped="" byte
  f=$(vm_gadget_new_function "$1" hid.usb0) || return 1
  echo 1 >"$f/protocol"
  echo 1 >"$f/subclass"
  echo 8 >"$f/report_length"
  for byte in $VM_KEYBOARD_REPORT_DESC; do escaped+="\\x$byte"; done
  # shellcheck disable=SC2059 # the format is the descriptor, as escapes
  printf "$escaped" >"$f/report_desc" || return 1
  vm_gadget_link_function "$1" hid.usb0
}

# vm_gadget_hid_keyboard NAME UDC: a boot-protocol keyboard (/dev/hidgN on the gadget side).
vm_gadget_hid_keyboard() {
  vm_gadget_create "$1" $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT "HID Keyboard" || return 1
  vm__add_hid_keyboard "$1" || return 1
  vm_gadget_plug "$1" "$2"
}

# vm_gadget_acm NAME UDC: a CDC ACM serial port (/dev/ttyGSN on the gadget side, /dev/ttyACMN
# on the host side).
vm_gadget_acm() {
  vm_gadget_create "$1" $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT "ACM Serial" || return 1
  vm_gadget_add_function "$1" acm.usb0 || return 1
  vm_gadget_plug "$1" "$2"
}

# vm_gadget_hid_storage NAME UDC BACKING_FILE [SIZE_MIB]: one device, two interfaces, two
# class drivers: a keyboard and a disk.
vm_gadget_hid_storage() {
  local name=$1 udc=$2 backing=$3 size=${4:-64}
  [ -f "$backing" ] || truncate -s "${size}M" "$backing" || return 1
  vm_gadget_create "$name" $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT "HID + Mass Storage" ||
    return 1
  vm__add_hid_keyboard "$name" || return 1
  vm__add_mass_storage "$name" "$backing" || return 1
  vm_gadget_plug "$name" "$udc"
}

# --- devices -------------------------------------------------------------------------------

vm__configured() {
  local value=
  read -r value 2>/dev/null <"$1/bConfigurationValue"
  [ -n "$value" ]
}

vm__gadget_device_now() {
  local n=${1#dummy_udc.} dev
  for dev in /sys/devices/platform/dummy_hcd."$n"/usb*/*-1; do
    if vm__configured "$dev"; then
      echo "$dev"
      return 0
    fi
  done
  return 1
}

# vm_first_match PATH...: the base name of the first PATH that exists (for globs such as
# "$interface"/sound/card*, which stay unexpanded when nothing matches).
vm_first_match() {
  local path
  for path in "$@"; do
    [ -e "$path" ] && {
      echo "${path##*/}"
      return 0
    }
  done
  return 1
}

# vm_qemu_audio_device: the configured device on QEMU's own xhci (not dummy_hcd, not vhci_hcd)
# with an audio interface: QEMU's usb-audio, which VM_QEMU_ARGS must have added.
vm_qemu_audio_device() {
  local dev
  for dev in /sys/devices/pci*/*/usb*/*-*; do
    [[ "${dev##*/}" == *:* ]] && continue # an interface
    vm__configured "$dev" || continue
    grep -qx 01 "$dev"/*:*/bInterfaceClass 2>/dev/null && { echo "$dev"; return 0; }
  done
  return 1
}

# vm_gadget_device UDC [SECONDS]: waits until the gadget plugged into UDC is enumerated and
# configured by the guest's USB host; prints its sysfs directory.
vm_gadget_device() {
  vm_wait_for "${2:-15}" "a configured device on $1" vm__gadget_device_now "$1" || return 1
  vm__gadget_device_now "$1"
}

# vm_busid DEVICE_DIR: the USB/IP bus id (as "2-1") of a device's sysfs directory.
vm_busid() { echo "${1##*/}"; }

# vm_dev_node DEVICE_DIR: its usbfs node, /dev/bus/usb/BBB/DDD.
vm_dev_node() {
  local bus dev
  read -r bus <"$1/busnum" && read -r dev <"$1/devnum" || return 1
  printf '/dev/bus/usb/%03d/%03d\n' "$bus" "$dev"
}

vm__driver_is() { [ "$1/driver" -ef "/sys/bus/usb/drivers/$2" ]; }

# vm_wait_driver INTERFACE_DIR DRIVER [SECONDS]: waits until DRIVER is bound to the interface.
vm_wait_driver() {
  vm_wait_for "${3:-15}" "driver $2 on ${1##*/}" vm__driver_is "$1" "$2"
}

vm__block_device_now() {
  local block
  for block in "$1"/*:*/host*/target*/*/block/*; do
    if [ -e "$block" ] && [ -b "/dev/${block##*/}" ]; then
      echo "${block##*/}"
      return 0
    fi
  done
  return 1
}

# vm_block_device DEVICE_DIR [SECONDS]: waits for the disk a USB mass-storage device shows;
# prints its /dev path.
vm_block_device() {
  vm_wait_for "${2:-20}" "a disk on ${1##*/}" vm__block_device_now "$1" || return 1
  echo "/dev/$(vm__block_device_now "$1")"
}

# vm_disk_max_transfer DISK KIB: lets the disk take SCSI commands of up to KIB (usb-storage
# defaults to 120 KiB). Each command costs round trips (command, data, status), so larger ones
# move the same data in fewer of them; under emulation that halves the time of a bulk copy.
vm_disk_max_transfer() {
  local block=${1#/dev/}
  echo $(($2 * 2)) >"/sys/block/$block/device/max_sectors" &&
    echo "$2" >"/sys/block/$block/queue/max_sectors_kb"
}

# --- USB/IP --------------------------------------------------------------------------------

vm__listening() {
  # /proc/net/tcp{,6}: "sl local_address rem_address st ...", addresses in hex, st 0A = LISTEN.
  local port_hex table _ local_address state
  printf -v port_hex '%04X' "$1"
  for table in /proc/net/tcp /proc/net/tcp6; do
    while read -r _ local_address _ state _; do
      [[ "$local_address" == *":$port_hex" && "$state" == 0A ]] && return 0
    done <"$table"
  done
  return 1
}

# vm_project_binary NAME: the project's built program NAME, searched in the build tree.
vm_project_binary() {
  local path
  path=$(find "$BUILD_DIR" -maxdepth 3 -type f -name "$1" -perm -u+x 2>/dev/null | head -n 1)
  [ -n "$path" ] || return 1
  echo "$path"
}

# vm_require_host: checks that the host named by HOST_IMPL can run at all, before a scenario
# builds anything.
vm_require_host() {
  case "$HOST_IMPL" in
    kernel)
      command -v usbipd >/dev/null && command -v usbip >/dev/null ||
        vm_fail "usbipd/usbip missing (Debian package usbip): run scripts/setup.sh"
      ;;
    project)
      vm_project_binary usbip-host >/dev/null ||
        vm_fail "usbip-host not built yet (no usbip-host in $BUILD_DIR)"
      ;;
    *) vm_fail "HOST_IMPL must be kernel or project, not '$HOST_IMPL'" ;;
  esac
}

# vm_host_export BUSID: makes the device importable on tcp:3240 by the host under test:
#   kernel   usbipd (once) + usbip bind -b BUSID, the kernel's usbip-host driver
#   project  usbip-host listen tcp:3240 BUSID (the project's host; acts like the two above)
vm_host_export() {
  local busid=$1
  case "$HOST_IMPL" in
    kernel)
      if ! vm__listening $VM_USBIP_PORT; then
        vm_run_bounded 10 usbipd -D || return 1
      fi
      vm_run_bounded 15 usbip bind -b "$busid" || return 1
      ;;
    project)
      local host
      host=$(vm_project_binary usbip-host) || {
        vm_log "usbip-host not built yet"
        return 1
      }
      # VM_PROJECT_HOST_ARGS: more options for this usbip-host (--no-usbfs-memory, say).
      # shellcheck disable=SC2086 # word splitting intended
      "$host" listen "tcp:$VM_USBIP_PORT" "$busid" ${VM_PROJECT_HOST_ARGS:-} \
        >"/tmp/usbip-host.$busid.log" 2>&1 &
      echo $! >"$VM_STATE_DIR/project-host.$busid.pid"
      ;;
  esac
  vm_wait_for 15 "a USB/IP server on port $VM_USBIP_PORT" vm__listening $VM_USBIP_PORT
}

# vm_host_unexport BUSID: gives the device back to its own drivers.
vm_host_unexport() {
  local busid=$1 pid
  case "$HOST_IMPL" in
    kernel) vm_run_bounded 15 usbip unbind -b "$busid" ;;
    project)
      pid=$(vm_read "$VM_STATE_DIR/project-host.$busid.pid") || return 0
      kill "$pid" 2>/dev/null
      vm_wait_for 10 "usbip-host ($pid) to exit" vm__gone "/proc/$pid"
      ;;
  esac
}

# vm_host_export_policy POLICY_DIR: the project's usbip-host listening on tcp:3240 and exporting
# what the policy files in POLICY_DIR allow, nothing named on its command line. Its log is
# /tmp/usbip-host.policy.log.
vm_host_export_policy() {
  local host
  host=$(vm_project_binary usbip-host) || {
    vm_log "usbip-host not built yet"
    return 1
  }
  "$host" listen "tcp:$VM_USBIP_PORT" --policy-dir "$1" >/tmp/usbip-host.policy.log 2>&1 &
  echo $! >"$VM_STATE_DIR/project-host.policy.pid"
  vm_wait_for 15 "a USB/IP server on port $VM_USBIP_PORT" vm__listening $VM_USBIP_PORT || {
    cat /tmp/usbip-host.policy.log >&2
    return 1
  }
}

# vm_host_unexport_policy: stops the usbip-host vm_host_export_policy started.
vm_host_unexport_policy() { vm_host_unexport policy; }

vm__gone() { [ ! -e "$1" ]; }

vm__vhci_device_now() {
  local vendor=$1 product=$2 dev
  local dev_vendor dev_product
  for dev in /sys/devices/platform/vhci_hcd.*/usb*/*-*; do
    [[ "$dev" == *:* ]] && continue # an interface, not a device
    read -r dev_vendor 2>/dev/null <"$dev/idVendor" &&
      read -r dev_product 2>/dev/null <"$dev/idProduct" || continue
    [ "0x$dev_vendor" = "$vendor" ] && [ "0x$dev_product" = "$product" ] || continue
    if vm__configured "$dev"; then
      echo "$dev"
      return 0
    fi
  done
  return 1
}

# vm_attach DEVICE_DIR: imports the exported device over USB/IP from 127.0.0.1 through
# vhci_hcd and waits until the guest has enumerated the imported copy; prints the copy's sysfs
# directory.
vm_attach() {
  local source=$1 busid vendor product
  busid=$(vm_busid "$source")
  read -r vendor <"$source/idVendor" && read -r product <"$source/idProduct" || return 1
  vendor=0x$vendor product=0x$product
  vm_run_bounded 20 usbip attach -r 127.0.0.1 -b "$busid" || {
    vm_log "usbip attach -r 127.0.0.1 -b $busid failed"
    return 1
  }
  vm_wait_for 20 "the imported $vendor:$product on vhci_hcd" \
    vm__vhci_device_now "$vendor" "$product" || return 1
  vm__vhci_device_now "$vendor" "$product"
}

# vm_detach IMPORTED_DEVICE_DIR: detaches the imported device and waits until it is gone.
vm_detach() {
  local dev=$1 busid port
  busid=$(vm_busid "$dev")
  # vhci's status files list "hub port sta spd dev sockfd local_busid" per port.
  port=$(awk -v busid="$busid" '$NF == busid { print $2; exit }' \
    /sys/devices/platform/vhci_hcd.*/status* 2>/dev/null)
  [ -n "$port" ] || {
    vm_log "no vhci port holds $busid"
    return 1
  }
  vm_run_bounded 20 usbip detach -p $((10#$port)) || return 1
  vm_wait_for 20 "$busid to leave vhci_hcd" vm__gone "$dev/idVendor"
}

# --- kernel health -------------------------------------------------------------------------

# vm_kernel_oops_lines: prints the kernel log's first oops: its headline and where it hit
# (the RIP line); fails when the kernel has not oopsed.
vm_kernel_oops_lines() {
  dmesg 2>/dev/null | awk '
    !headline && /general protection fault|Oops|BUG:|kernel BUG at/ { headline = $0; print }
    headline && /RIP:/ { print; exit }
    END { exit !headline }'
}

# vm_check_kernel_health: after a run, looks for an oops in the kernel log. With the kernel's
# own usbip-host (HOST_IMPL=kernel) an oops is a finding about that kernel, printed as a
# "KERNEL FINDING" and not a failure; with the project's host it fails the scenario.
vm_check_kernel_health() {
  local lines line
  lines=$(vm_kernel_oops_lines) || return 0
  if [ "$HOST_IMPL" = kernel ]; then
    while IFS= read -r line; do
      echo "KERNEL FINDING: the guest kernel oopsed while its own usbip-host served:${line#*]}"
    done <<<"$lines"
    return 0
  fi
  while IFS= read -r line; do
    echo "FAIL: kernel oops with HOST_IMPL=$HOST_IMPL:${line#*]}"
  done <<<"$lines"
  return 1
}

# --- usbtest -------------------------------------------------------------------------------

# vm_usbtest NODE SECONDS_PER_TEST SECONDS_IN_ALL TEST:ITERATIONS:LENGTH:VARY:SGLEN...: runs
# usbtest tests, in order, on the device at NODE (usbtest must be bound to it); prints one line
# per test (see tools/usbtest_runner.cpp). Returns 0 when none failed, 1 when one did, 124 when
# one ran out of time (the device is then stuck and the remaining tests did not run).
vm_usbtest() {
  local node=$1 per_test=$2 in_all=$3 runner
  shift 3
  runner=$BUILD_DIR/tests/vm/tools/usbtest-runner
  [ -x "$runner" ] || vm_fail "usbtest-runner not built ($runner)"
  vm_run_bounded "$in_all" "$runner" --timeout "$per_test" "$node" "$@"
}

# vm_usbtest_oops_test: the number of the usbtest test that was running when the kernel first
# oopsed (usbtest logs "TEST N:" as each test starts); empty when the oops came before any.
vm_usbtest_oops_test() {
  dmesg 2>/dev/null | awk '
    /usbtest .*TEST [0-9]+:/ { match($0, /TEST [0-9]+/); test = substr($0, RSTART + 5, RLENGTH - 5) }
    /general protection fault|Oops|BUG:|kernel BUG at/ { print test; exit }'
}
