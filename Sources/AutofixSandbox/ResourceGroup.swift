import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A cgroup of its own for one run, when this machine lets us make one (root with cgroup v1, or
/// a delegated cgroup v2 subtree). It enforces the memory and process limits on the whole tree,
/// tells whether they were hit, and proves afterwards that nothing is left running. Without one
/// the runner falls back to per-process rlimits.
final class ResourceGroup: Sendable {
    /// One directory per controller hierarchy (v1) or a single one (v2).
    private let directories: [String: URL]
    private let unified: Bool

    fileprivate init(directories: [String: URL], unified: Bool) {
        self.directories = directories
        self.unified = unified
    }

    /// Every group this process makes is named so: what finds a dead run's groups.
    static func namePrefix(of pid: pid_t) -> String { "git-autofix-\(pid)-" }

    /// Where this process makes its groups, per controller ("" for the v2 hierarchy).
    static func parents(root: String = "/sys/fs/cgroup") -> [String: URL] {
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers") {
            return ownPath(in: membership, controller: "").map { ["": URL(fileURLWithPath: root + $0)] } ?? [:]
        }
        var parents: [String: URL] = [:]
        for controller in ["pids", "memory"] {
            if let own = ownPath(in: membership, controller: controller) {
                parents[controller] = URL(fileURLWithPath: "\(root)/\(controller)\(own)")
            }
        }
        return parents
    }

    static func make(memoryBytes: UInt64?, maxProcesses: Int?, root: String = "/sys/fs/cgroup") -> ResourceGroup? {
        let name = namePrefix(of: getpid()) + UUID().uuidString.prefix(8)
        let parents = parents(root: root)
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers") {
            guard let parent = parents[""] else { return nil }
            let dir = parent.appendingPathComponent(name)
            guard mkdir(dir.path, 0o755) == 0 else { return nil }
            let group = ResourceGroup(directories: ["": dir], unified: true)
            let haveMemory = memoryBytes == nil || group.write("memory.max", "\(memoryBytes!)", in: dir)
            let havePids = maxProcesses == nil || group.write("pids.max", "\(maxProcesses!)", in: dir)
            if memoryBytes != nil { _ = group.write("memory.swap.max", "0", in: dir) }
            guard haveMemory, havePids else {
                rmdir(dir.path)
                return nil
            }
            return group
        }
        var directories: [String: URL] = [:]
        for (controller, parent) in parents {
            let dir = parent.appendingPathComponent(name)
            if mkdir(dir.path, 0o755) == 0 { directories[controller] = dir }
        }
        let group = ResourceGroup(directories: directories, unified: false)
        var complete = directories["pids"] != nil && directories["memory"] != nil
        if complete, let maxProcesses, !group.write("pids.max", "\(maxProcesses)", in: directories["pids"]!) {
            complete = false
        }
        if complete, let memoryBytes {
            let memory = directories["memory"]!
            complete = group.write("memory.limit_in_bytes", "\(memoryBytes)", in: memory)
            _ = group.write("memory.memsw.limit_in_bytes", "\(memoryBytes)", in: memory)
        }
        guard complete else {
            group.remove()
            return nil
        }
        return group
    }

    /// The path of this process's cgroup for `controller` ("" for the v2 hierarchy).
    static func ownPath(in membership: String, controller: String) -> String? {
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",").map(String.init)
            if controller.isEmpty ? (fields[0] == "0" && fields[1].isEmpty) : controllers.contains(controller) {
                let path = String(fields[2])
                return path == "/" ? "" : path
            }
        }
        return nil
    }

    func add(_ pid: pid_t) {
        for dir in directories.values { _ = write("cgroup.procs", "\(pid)", in: dir) }
    }

    var pids: [pid_t] {
        var all = Set<pid_t>()
        for dir in directories.values {
            let text = (try? String(contentsOf: dir.appendingPathComponent("cgroup.procs"), encoding: .utf8)) ?? ""
            text.split(separator: "\n").compactMap { pid_t($0) }.forEach { all.insert($0) }
        }
        return all.sorted()
    }

    var memoryLimitHit: Bool {
        if unified { return counter("oom_kill", in: "memory.events") > 0 }
        guard let dir = directories["memory"] else { return false }
        return counter("oom_kill", in: "memory.oom_control", dir: dir) > 0
    }

    var processLimitHit: Bool {
        counter("max", in: "pids.events", dir: directories[unified ? "" : "pids"]) > 0
    }

    /// Kills every process in the group (the kernel's view, not the process tree's, so a
    /// double-forked daemon is found too).
    func killAll() {
        if unified, let dir = directories[""], write("cgroup.kill", "1", in: dir) { return }
        for _ in 0..<3 {
            let members = pids
            if members.isEmpty { return }
            members.forEach { kill($0, SIGKILL) }
        }
    }

    /// Kills what is left, waits until the group is empty and removes it. Returns how many
    /// processes were still running when it was called.
    @discardableResult
    func remove() -> Int {
        let leftover = pids.count
        if leftover > 0 { killAll() }
        for dir in directories.values {
            for _ in 0..<200 {
                if rmdir(dir.path) == 0 || errno == ENOENT { break }
                killAll()
                usleep(10_000)
            }
        }
        return leftover
    }

    private func counter(_ key: String, in file: String, dir: URL? = nil) -> Int {
        guard let dir = dir ?? directories[""] else { return 0 }
        let text = (try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int(parts[1]) ?? 0 }
        }
        return 0
    }

    private func write(_ file: String, _ value: String, in dir: URL) -> Bool {
        let path = dir.appendingPathComponent(file).path
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // A cgroup file takes its value in one write; the kernel's refusal (EINVAL, EBUSY) is the answer.
        return (try? SystemCall.writeAll(fd, Array(value.utf8), path: path)) != nil
    }
}

/// The cgroups of runs that died without removing them (killed with SIGKILL, say): found again by
/// the parents a run recorded and the process id in their names.
public enum LeftoverResourceGroups {
    /// Where this process's groups go; a run records these so that others can clean up after it.
    public static func parents() -> [String] {
        ResourceGroup.parents().values.map(\.path).sorted()
    }

    /// Kills what is left in the groups that process `pid` made under `parents` and removes
    /// them. Returns the directories removed.
    @discardableResult
    public static func remove(madeBy pid: Int32, under parents: [String]) -> [String] {
        var removed: [String] = []
        for parent in parents {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            for name in names where name.hasPrefix(ResourceGroup.namePrefix(of: pid)) {
                let dir = URL(fileURLWithPath: parent).appendingPathComponent(name)
                // Only a cgroup: a record that someone edited must not make this remove anything else.
                guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("cgroup.procs").path) else { continue }
                let group = ResourceGroup(directories: ["": dir], unified: false)
                group.remove()
                if !FileManager.default.fileExists(atPath: dir.path) { removed.append(dir.path) }
            }
        }
        return removed
    }
}
