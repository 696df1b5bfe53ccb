#!/usr/bin/env python3
"""Write the fake sysfs trees that the placement tests read, in fixtures/sysfs/.

    scripts/make-sysfs-fixtures.py [OUTPUT_DIR]     (default: <repo>/fixtures/sysfs)

Each tree holds only the files av1d reads, laid out as Linux does under / :
  sys/devices/system/cpu/online
  sys/devices/system/cpu/cpuN/topology/{thread_siblings_list | core_cpus_list, physical_package_id}
  sys/devices/system/cpu/cpuN/cache/indexK/{level, shared_cpu_list}
  sys/devices/system/node/nodeN/cpulist
and, for some machines, cgroup v2 or v1 files, proc/self/cgroup, proc/meminfo, proc/pressure/memory,
hwmon sensors (sys/class/hwmon/hwmonN/{name, tempK_input, tempK_label}) and cpufreq
(cpuN/cpufreq/{scaling_governor, scaling_driver}).

CPUs are numbered the usual Linux way: with C cores, core c runs CPUs c and c + C (SMT siblings).
Cores are numbered package by package, NUMA node by node, L3 domain by domain.
Only L2 and L3 cache folders are written: L2 is the decoy that must not be taken for L3.
Rerunning replaces each tree completely, so the output depends on this script alone.
"""
import shutil
import sys
from pathlib import Path

GIB = 1 << 30


def cpu_list(cpus):
    """The kernel's compact list form: [0, 1, 2, 5] -> "0-2,5"."""
    cpus = sorted(cpus)
    runs = []
    for cpu in cpus:
        if runs and cpu == runs[-1][1] + 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class Machine:
    def __init__(self, packages, nodes_per_package, domains_per_node, cores_per_domain):
        self.cores = packages * nodes_per_package * domains_per_node * cores_per_domain
        self.cores_per_domain = cores_per_domain
        self.cores_per_node = domains_per_node * cores_per_domain
        self.cores_per_package = nodes_per_package * self.cores_per_node
        self.cpus = range(2 * self.cores)
        self.online = set(self.cpus)

    def core(self, cpu):
        return cpu % self.cores

    def threads(self, core_range):
        return [cpu for cpu in self.cpus if self.core(cpu) in core_range]

    def block(self, cpu, size):
        """The CPUs of the block of `size` cores that holds `cpu`'s core."""
        first = self.core(cpu) // size * size
        return self.threads(range(first, first + size))

    def nodes(self):
        return [self.threads(range(first, first + self.cores_per_node))
                for first in range(0, self.cores, self.cores_per_node)]


def write(root, path, text):
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text + "\n")


def write_machine(root, machine, *, l3=True, siblings_file="thread_siblings_list"):
    cpu_folder = "sys/devices/system/cpu"
    write(root, f"{cpu_folder}/online", cpu_list(machine.online))
    for cpu in machine.cpus:
        folder = f"{cpu_folder}/cpu{cpu}"
        if cpu not in machine.online:
            # Linux removes an offline CPU's topology and cache folders.
            write(root, f"{folder}/online", "0")
            continue
        write(root, f"{folder}/topology/{siblings_file}", cpu_list(machine.block(cpu, 1)))
        write(root, f"{folder}/topology/physical_package_id", str(machine.core(cpu) // machine.cores_per_package))
        write(root, f"{folder}/cache/index2/level", "2")
        write(root, f"{folder}/cache/index2/shared_cpu_list", cpu_list(machine.block(cpu, 1)))
        if l3:
            # Like the kernel, the list names every CPU of the cache, offline ones included.
            write(root, f"{folder}/cache/index3/level", "3")
            write(root, f"{folder}/cache/index3/shared_cpu_list", cpu_list(machine.block(cpu, machine.cores_per_domain)))
    for node, cpus in enumerate(machine.nodes()):
        write(root, f"sys/devices/system/node/node{node}/cpulist", cpu_list(cpus))


def write_meminfo(root, total, available):
    write(root, "proc/meminfo", "\n".join([
        f"MemTotal:       {total // 1024} kB",
        f"MemFree:        {available // 2048} kB",
        f"MemAvailable:   {available // 1024} kB",
    ]))


def write_pressure(root, some_avg10):
    write(root, "proc/pressure/memory", "\n".join([
        f"some avg10={some_avg10:.2f} avg60=1.20 avg300=0.40 total=123456",
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=4567",
    ]))


def write_hwmon(root, devices):
    """devices: one (name, [(label or None, millidegrees), ...]) per hwmonN, in order."""
    for index, (name, inputs) in enumerate(devices):
        folder = f"sys/class/hwmon/hwmon{index}"
        write(root, f"{folder}/name", name)
        for number, (label, millidegrees) in enumerate(inputs, start=1):
            write(root, f"{folder}/temp{number}_input", str(millidegrees))
            if label is not None:
                write(root, f"{folder}/temp{number}_label", label)


def write_cpufreq(root, machine, governor, driver):
    for cpu in sorted(machine.online):
        write(root, f"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor", governor)
        write(root, f"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_driver", driver)


def k10temp(tctl, ccds):
    """An AMD package: Tctl, then one Tccd per CCD a little cooler."""
    return ("k10temp", [("Tctl", tctl)] + [(f"Tccd{n}", tctl - 3000 - 500 * n) for n in range(1, ccds + 1)])


def epyc_32c_4ccd(root):
    write_machine(root, Machine(1, 1, 4, 8))
    write_meminfo(root, total=128 * GIB, available=96 * GIB)
    write_pressure(root, some_avg10=0.5)


def epyc_hot(root):
    # A hot EPYC on acpi-cpufreq's powersave: paused admission and a governor warning. An NVMe
    # sensor hotter still is not a CPU and must not count.
    machine = Machine(1, 1, 4, 8)
    write_machine(root, machine)
    write_hwmon(root, [("nvme", [("Composite", 95850)]), k10temp(91250, 4)])
    write_cpufreq(root, machine, "powersave", "acpi-cpufreq")
    write_meminfo(root, total=128 * GIB, available=96 * GIB)


def epyc_amd_pstate(root):
    # amd-pstate in active mode (EPP): "powersave" is its normal governor, not a slow one.
    machine = Machine(1, 1, 8, 4)
    write_machine(root, machine)
    write_hwmon(root, [k10temp(64000, 8)])
    write_cpufreq(root, machine, "powersave", "amd-pstate-epp")
    write(root, "sys/devices/system/cpu/amd_pstate/status", "active")


def epyc_8ccd_4c(root):
    write_machine(root, Machine(1, 1, 8, 4))


def dual_socket(root):
    # Only the newer core_cpus_list name, so the fallback from thread_siblings_list is exercised.
    machine = Machine(2, 1, 2, 8)
    write_machine(root, machine, siblings_file="core_cpus_list")
    # Intel: one coretemp per package; only the Package inputs count, per-core ones are cooler.
    write_hwmon(root, [("coretemp", [("Package id 0", 55000), ("Core 0", 52000), ("Core 1", 53000)]),
                       ("coretemp", [("Package id 1", 57000), ("Core 0", 54000)]),
                       ("acpitz", [(None, 27800)])])
    write_cpufreq(root, machine, "performance", "intel_pstate")
    # A service in a slice: the slice's limit binds, the service's own files say "max".
    write(root, "proc/self/cgroup", "0::/system.slice/av1d.service")
    write(root, "sys/fs/cgroup/system.slice/memory.max", str(32 * GIB))
    write(root, "sys/fs/cgroup/system.slice/av1d.service/memory.max", "max")
    write(root, "sys/fs/cgroup/system.slice/av1d.service/cpu.max", "max 100000")
    write_meminfo(root, total=256 * GIB, available=200 * GIB)


def offline_cpus(root):
    machine = Machine(1, 1, 4, 8)
    machine.online = set(range(0, 28)) | set(range(32, 60))
    write_machine(root, machine)


def cgroup_limited(root):
    write_machine(root, Machine(1, 1, 4, 8))
    write(root, "proc/self/cgroup", "0::/")
    write(root, "sys/fs/cgroup/cpuset.cpus.effective", "8-15,40-47")
    write(root, "sys/fs/cgroup/cpu.max", "400000 100000")
    write(root, "sys/fs/cgroup/memory.max", str(16 * GIB))
    write_meminfo(root, total=128 * GIB, available=96 * GIB)
    write_pressure(root, some_avg10=12.5)


def container_quota(root):
    # A container given two of the four CCDs (32 CPUs) and 16 CPUs of run time.
    write_machine(root, Machine(1, 1, 4, 8))
    write(root, "proc/self/cgroup", "0::/")
    write(root, "sys/fs/cgroup/cpuset.cpus.effective", "8-23,40-55")
    write(root, "sys/fs/cgroup/cpu.max", "1600000 100000")
    write(root, "sys/fs/cgroup/memory.max", "max")
    write_meminfo(root, total=128 * GIB, available=64 * GIB)


def hybrid_v1(root):
    # Docker on a hybrid host: cgroup v1 controllers, an empty v2 hierarchy at unified, and
    # /proc/self/cgroup naming host paths that do not exist inside the container.
    write_machine(root, Machine(1, 1, 4, 8))
    write(root, "proc/self/cgroup", "\n".join([
        "4:memory:/docker/0123abcd", "3:cpuset:/docker/0123abcd", "2:cpu,cpuacct:/docker/0123abcd",
        "1:name=systemd:/docker/0123abcd", "0::/"]))
    write(root, "sys/fs/cgroup/unified/cgroup.controllers", "")
    write(root, "sys/fs/cgroup/cpuset/cpuset.effective_cpus", "0-7,32-39")
    write(root, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "800000")
    write(root, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000")
    write(root, "sys/fs/cgroup/memory/memory.limit_in_bytes", str(12 * GIB))
    write_meminfo(root, total=128 * GIB, available=96 * GIB)


def no_l3(root):
    write_machine(root, Machine(1, 2, 1, 4), l3=False)


FIXTURES = {
    "epyc-32c-4ccd": epyc_32c_4ccd,
    "epyc-8ccd-4c": epyc_8ccd_4c,
    "epyc-hot": epyc_hot,
    "epyc-amd-pstate": epyc_amd_pstate,
    "dual-socket": dual_socket,
    "offline-cpus": offline_cpus,
    "cgroup-limited": cgroup_limited,
    "container-quota": container_quota,
    "hybrid-v1": hybrid_v1,
    "no-l3": no_l3,
}


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "fixtures" / "sysfs"
    for name, make in FIXTURES.items():
        root = out / name
        shutil.rmtree(root, ignore_errors=True)
        make(root)
        print(f"make-sysfs-fixtures: wrote {root}", file=sys.stderr)


if __name__ == "__main__":
    main()
