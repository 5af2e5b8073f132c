import AutofixGit
import AutofixSandbox
import AutofixSupport
import Foundation

/// Runs whose process died without ending them (killed with SIGKILL, a crash, a reboot): their
/// records still say `running` and their scratch directory and cgroups are still there. The
/// commands that list runs call this first, so such a run shows as `interrupted` (its accepted
/// commits are on its ref, as after Ctrl-C) and what it left is removed.
public struct AbandonedRuns {
    public struct Cleaned: Sendable, Equatable {
        public let runID: String
        public let pid: Int32
        public let removed: [String]
    }

    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    /// Marks every abandoned run `interrupted` and removes what it left. Returns what it did.
    @discardableResult
    public func clean() -> [Cleaned] {
        let store = RunStatusStore(repository: repository)
        var cleaned: [Cleaned] = []
        for runID in store.runIDs() {
            guard var record = store.read(runID), record.isAbandoned, let process = record.process else { continue }
            var removed: [String] = []
            if let root = record.scratchRoot, Self.removeScratch(at: URL(fileURLWithPath: root)) { removed.append(root) }
            removed += LeftoverResourceGroups.remove(madeBy: process.pid, under: record.cgroupParents ?? [])
            record.status = RunStatus.interrupted
            record.process = nil
            record.scratchRoot = nil
            record.cgroupParents = nil
            guard (try? store.write(record, for: runID)) != nil else { continue }
            cleaned.append(Cleaned(runID: runID, pid: process.pid, removed: removed))
        }
        return cleaned
    }

    /// Removes a scratch directory without following any link in it. Only a directory named as
    /// `ScratchSession` names them: an edited record must not make this remove anything else.
    private static func removeScratch(at root: URL) -> Bool {
        let name = root.lastPathComponent
        guard name.hasPrefix(ScratchSession.directoryPrefix),
              let parent = try? DirectoryHandle.open(root.deletingLastPathComponent().path),
              parent.subdirectory(name) != nil else { return false }
        return (try? parent.remove(name)) != nil
    }
}
