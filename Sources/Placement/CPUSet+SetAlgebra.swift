import LinuxSupport

/// The few set operations placement needs on kernel CPU lists.
extension CPUSet {
    func intersection(_ other: CPUSet) -> CPUSet { CPUSet(Set(cpus).intersection(other.cpus)) }
    func union(_ other: CPUSet) -> CPUSet { CPUSet(cpus + other.cpus) }
    func subtracting(_ other: CPUSet) -> CPUSet { CPUSet(Set(cpus).subtracting(other.cpus)) }
    func isSubset(of other: CPUSet) -> Bool { Set(cpus).isSubset(of: other.cpus) }
    func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }

    /// All CPUs of `sets` together.
    init(unionOf sets: some Sequence<CPUSet>) {
        self.init(sets.flatMap(\.cpus))
    }
}
