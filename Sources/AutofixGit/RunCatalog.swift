import AutofixSupport
import Foundation

/// One run as the review commands show it.
public struct RunSummary: Sendable {
    public let name: RunName
    /// Where the run ref points: the last accepted commit, or the snapshot itself.
    public let tip: ObjectID
    public let snapshot: CommitInfo
    /// The accepted commits on top of the snapshot, oldest first.
    public let commits: [CommitInfo]
    /// What the run recorded about itself (`status.json`), if anything.
    public let record: RunStatus?

    /// HEAD when the run started (nil on an unborn branch).
    public var base: ObjectID? { snapshot.parents.first }
    public var created: Date { snapshot.time }
    public var statusText: String { record?.status ?? (commits.isEmpty ? "snapshot" : "\(commits.count) commits") }
}

/// Lists runs and turns what a user types (full ref, run id, unique prefix) into one run.
public struct RunCatalog {
    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    /// Every run, newest first.
    public func runs() throws -> [RunSummary] {
        try repository.references(withPrefix: RunName.refPrefix)
            .compactMap { reference in RunName(ref: reference.name).map { ($0, reference.target) } }
            .sorted { $0.0 > $1.0 }
            .map { try summary(of: $0.0, tip: $0.1) }
    }

    public func summary(of name: RunName) throws -> RunSummary {
        guard let tip = try repository.referenceTarget(name.ref) else {
            throw GitError.refusal(.notFound, "run \(name.id) no longer exists (\(name.ref) is gone)",
                           hint: "`git autofix list` shows the runs there are")
        }
        return try summary(of: name, tip: tip)
    }

    private func summary(of name: RunName, tip: ObjectID) throws -> RunSummary {
        var accepted: [CommitInfo] = []
        var current = try repository.commit(tip)
        // Walk first parents down to the snapshot commit that started this run.
        for _ in 0..<10_000 {
            if current.trailers[Snapshotter.snapshotTrailer] != nil { break }
            accepted.append(current)
            // A fixup run's one commit sits on the branch it fixes: what it changed is against its parent.
            if current.trailers[FixupCommit.fixesTrailer] != nil, let parent = current.parents.first {
                current = try repository.commit(parent)
                break
            }
            guard let parent = current.parents.first else { break }
            current = try repository.commit(parent)
        }
        return RunSummary(name: name, tip: tip, snapshot: current, commits: accepted.reversed(),
                          record: RunStatusStore(repository: repository).read(name.id))
    }

    /// Resolves `text` to exactly one run, or throws with the close matches.
    public func resolve(_ text: String) throws -> RunName {
        let names = try repository.references(withPrefix: RunName.refPrefix).compactMap { RunName(ref: $0.name) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let exact = names.first(where: { $0.ref == trimmed || $0.ref == RunName.refPrefix + trimmed || $0.id == trimmed }) {
            return exact
        }
        let prefixed = names.filter { $0.id.hasPrefix(trimmed) || ($0.branch + "/" + $0.id).hasPrefix(trimmed) }
        if prefixed.count == 1 { return prefixed[0] }
        if prefixed.count > 1 {
            throw GitError.refusal(.ambiguous, "`\(trimmed)` matches \(prefixed.count) runs: " + prefixed.sorted().map(\.id).joined(separator: ", "),
                           hint: "type more of the run id")
        }
        let close = names.filter { $0.id.contains(trimmed) || $0.branch.contains(trimmed) || trimmed.contains($0.id) }
            .sorted(by: >).prefix(5)
        let suggestion = close.isEmpty
            ? (names.isEmpty ? "there are no runs yet; `git autofix` or `git autofix snapshot` makes one" : "`git autofix list` shows the runs there are")
            : "close matches: " + close.map { $0.branch + "/" + $0.id }.joined(separator: ", ")
        throw GitError.refusal(.notFound, "no run named `\(trimmed)`", hint: suggestion)
    }
}

/// What a run says about itself, kept in `<git common dir>/autofix/runs/<run-id>/status.json`.
public struct RunStatus: Codable, Sendable, Equatable {
    /// running, fixed, improved, failing, interrupted, error, snapshot
    public var status: String
    public var testCommand: String?
    public var model: String?
    public var failingBefore: Int?
    public var failingAfter: Int?
    public var rounds: Int?
    /// While running: the process doing the run, so that a later command can tell that it died.
    public var process: ProcessIdentity?
    /// While running: the run's private scratch directory, removed by whoever finds the run dead.
    public var scratchRoot: String?
    /// While running: where the run's cgroups are made (named after its process id).
    public var cgroupParents: [String]?
    /// When `git autofix apply` last brought the run into the work tree.
    public var applied: Date?

    public init(status: String, testCommand: String? = nil, model: String? = nil,
                failingBefore: Int? = nil, failingAfter: Int? = nil, rounds: Int? = nil) {
        self.status = status
        self.testCommand = testCommand
        self.model = model
        self.failingBefore = failingBefore
        self.failingAfter = failingAfter
        self.rounds = rounds
    }

    public static let running = "running"
    /// Written by `git autofix snapshot`: a run of its own, with no repair.
    public static let snapshot = "snapshot"
    public static let interrupted = "interrupted"

    /// The process of a run that says it is running, when that process is still alive.
    public var liveProcess: ProcessIdentity? {
        guard status == Self.running, let process, process.liveness != .gone else { return nil }
        return process
    }

    /// A run that says it is running although its process is gone (killed with SIGKILL, or the
    /// machine went down).
    public var isAbandoned: Bool {
        status == Self.running && process?.liveness == .gone
    }
}

/// Reads and writes run records under the git common directory, shared by linked worktrees.
public struct RunStatusStore {
    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    public func directory(for runID: String) -> URL {
        repository.commonDirectory.appendingPathComponent("autofix/runs/\(runID)", isDirectory: true)
    }

    public func read(_ runID: String) -> RunStatus? {
        guard let data = try? Data(contentsOf: directory(for: runID).appendingPathComponent("status.json")) else { return nil }
        return try? RecordJSON.decoder().decode(RunStatus.self, from: data)
    }

    public func write(_ status: RunStatus, for runID: String) throws {
        let folder = directory(for: runID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = RecordJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        // No fsync, as before: the record is bookkeeping next to the run, not history.
        try AtomicFileWriter.write(encoder.encode(status), to: folder.appendingPathComponent("status.json"), mode: 0o644,
                                   durability: .unsynced)
    }

    /// The ids of every run with a record.
    public func runIDs() -> [String] {
        let folder = repository.commonDirectory.appendingPathComponent("autofix/runs", isDirectory: true)
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    public func remove(_ runID: String) {
        try? FileManager.default.removeItem(at: directory(for: runID))
    }
}

extension RunCatalog {
    /// Deletes a run: its ref (only if it has not moved), the notes on its commits and its
    /// record directory. Returns what was removed.
    @discardableResult
    public func drop(_ name: RunName) throws -> RunSummary {
        let run = try summary(of: name)
        try repository.deleteReference(name.ref, expected: run.tip)
        // A run that kept no commit has its note on the snapshot.
        for commit in run.commits.map(\.id) + [run.snapshot.id] { try repository.removeNote(on: commit) }
        // The candidates that lost its rounds go with it.
        for candidate in try repository.references(withPrefix: RunName.candidatePrefix + name.branch + "/" + name.id + "/") {
            try repository.deleteReference(candidate.name, expected: candidate.target)
        }
        RunStatusStore(repository: repository).remove(name.id)
        return run
    }

    /// The refs `git autofix apply` made to keep the work tree it merged into.
    public func backupRefs() throws -> [(name: String, target: ObjectID)] {
        try repository.references(withPrefix: WorktreeApplier.backupPrefix).sorted { $0.name < $1.name }
    }

    /// Deletes one of `backupRefs()`, unless it moved since.
    public func dropBackup(_ ref: (name: String, target: ObjectID)) throws {
        try repository.deleteReference(ref.name, expected: ref.target)
    }

    /// Records that `apply` brought the run into the work tree, for `list`.
    public func markApplied(_ run: RunSummary, at date: Date = Date()) throws {
        let store = RunStatusStore(repository: repository)
        var record = store.read(run.name.id) ?? RunStatus(status: run.statusText)
        record.applied = date
        try store.write(record, for: run.name.id)
    }
}
