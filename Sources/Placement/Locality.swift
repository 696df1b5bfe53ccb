import LinuxSupport

/// A piece of the machine as placement splits it: the machine, a package, a NUMA node, an L3
/// domain, or (a leaf) one SMT group. Splitting jobs down this tree keeps each job as local as its
/// share allows, and spreads jobs evenly over packages and nodes on the way down.
struct Locality {
    let cpus: CPUSet
    let parts: [Locality]
    /// The most jobs this piece can hold: one per SMT group, since siblings never split.
    let cores: Int

    private init(core: CPUSet) {
        cpus = core
        parts = []
        cores = 1
    }

    private init(parts: [Locality]) {
        cpus = CPUSet(unionOf: parts.map(\.cpus))
        self.parts = parts
        cores = parts.map(\.cores).reduce(0, +)
    }

    /// The machine made of `domains`, taken in locality order (see `orderedByLocality`).
    init(machineOf domains: [CPUDomain]) {
        self.init(parts: grouped(domains, by: \.package).map { package in
            Locality(parts: grouped(package, by: \.numaNode).map { node in
                Locality(parts: node.map { domain in Locality(parts: domain.smtGroups.map(Locality.init(core:))) })
            })
        })
    }

    /// CPU sets for `jobs` concurrent jobs (at most `cores`). Up to one job per part, a job gets
    /// whole neighbouring parts; with more jobs than parts, every part gets a share of the jobs.
    func split(into jobs: Int) -> [CPUSet] {
        if jobs == 1 { return [cpus] }
        if jobs <= parts.count {
            return evenRuns(of: parts.map(\.cpus.count), count: jobs).map { run in
                CPUSet(unionOf: parts[run].map(\.cpus))
            }
        }
        return zip(parts, shares(of: jobs)).flatMap { part, share in part.split(into: share) }
    }

    /// Deals out more jobs than there are parts: one each, then each further job to the part whose
    /// jobs would otherwise get the most CPUs apiece, never more jobs than a part has cores.
    private func shares(of jobs: Int) -> [Int] {
        var shares = parts.map { _ in 1 }
        for _ in parts.count..<jobs {
            let open = parts.indices.filter { shares[$0] < parts[$0].cores }
            // a/b > c/d without division: a*d > c*b. Ties go to the earlier part.
            guard let next = open.max(by: { parts[$0].cpus.count * shares[$1] < parts[$1].cpus.count * shares[$0] })
            else { break }
            shares[next] += 1
        }
        return shares
    }
}

/// Orders domains so those sharing a package, then a NUMA node, sit together (each group where its
/// first domain was). Budget trimming and the locality tree both walk domains in this order.
func orderedByLocality(_ domains: [CPUDomain]) -> [CPUDomain] {
    grouped(domains, by: \.package).flatMap { grouped($0, by: \.numaNode).flatMap { $0 } }
}

/// Cuts `sizes` into `count` (at most `sizes.count`) contiguous runs, each as close as it gets to an
/// equal share of what is left, and leaving at least one item for every later run.
func evenRuns(of sizes: [Int], count: Int) -> [Range<Int>] {
    var runs: [Range<Int>] = []
    var start = 0
    for run in 0..<count {
        let runsLeft = count - run
        guard runsLeft > 1 else {
            runs.append(start..<sizes.count)
            break
        }
        let target = Double(sizes[start...].reduce(0, +)) / Double(runsLeft)
        var end = start + 1
        var total = sizes[start]
        while end < sizes.count - (runsLeft - 1),
              abs(Double(total + sizes[end]) - target) < abs(Double(total) - target) {
            total += sizes[end]
            end += 1
        }
        runs.append(start..<end)
        start = end
    }
    return runs
}

/// Groups `items` by `key`, keeping items in order and groups in order of first appearance.
func grouped<Item, Key: Equatable>(_ items: [Item], by key: (Item) -> Key) -> [[Item]] {
    var groups: [(key: Key, items: [Item])] = []
    for item in items {
        if let index = groups.firstIndex(where: { $0.key == key(item) }) {
            groups[index].items.append(item)
        } else {
            groups.append((key(item), [item]))
        }
    }
    return groups.map(\.items)
}
