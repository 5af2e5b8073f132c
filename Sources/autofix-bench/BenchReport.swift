import AutofixBenchSupport
import AutofixCore
import AutofixGit
import Foundation

/// A plain-text table with right-aligned numbers, printable as-is into BENCHMARKS.md.
struct BenchTable {
    let headers: [String]
    private(set) var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// A Markdown table, so a run's output can be pasted into BENCHMARKS.md unchanged.
    func render() -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = widths.indices.map { column -> String in
                let cell = column < cells.count ? cells[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.indices.map { column in
            column == 0 ? String(repeating: "-", count: widths[column] + 2)
                : String(repeating: "-", count: widths[column] + 1) + ":"
        }.joined(separator: "|") + "|"
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}

enum Statistics {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

enum Format {
    static func seconds(_ value: Double) -> String {
        value < 1 ? String(format: "%.1f ms", value * 1000) : String(format: "%.2f s", value)
    }

    static func ratio(_ value: Double) -> String { String(format: "%.2f×", value) }

    static func mebibytes(kibibytes: Int?) -> String {
        kibibytes.map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "n/a"
    }

    static func count(_ value: Int) -> String {
        value >= 1000 && value % 1000 == 0 ? "\(value / 1000)k" : "\(value)"
    }
}

/// The machine a run measured, printed before every run so each figure names where it came from.
enum MachineDescription {
    /// What a suite's figures depend on, for the line a debug build prints under the machine.
    enum Measures {
        /// The tool's own code paths: a debug build is slower than what users run.
        case code
        /// Seconds of streaming and test runs, which the build does not change.
        case streamingAndTests
    }

    /// Prints the machine line, and in a debug build what that means for the figures.
    static func announce(_ measures: Measures) {
        print(current())
        #if DEBUG
        switch measures {
        case .code: print("warning: this is a debug build; run `swift build -c release` for representative numbers")
        case .streamingAndTests:
            print("note: a debug build; the figures here are seconds of streaming and testing, which the build does not change")
        }
        #endif
    }

    static func current() -> String {
        let cpu = firstValue(in: "/proc/cpuinfo", key: "model name") ?? "unknown CPU"
        let memory = firstValue(in: "/proc/meminfo", key: "MemTotal")
            .flatMap { Int($0.split(separator: " ").first ?? "") }
            .map { String(format: "%.1f GiB", Double($0) / 1_048_576) } ?? "unknown"
        let git = (try? BenchProcess(arguments: ["git", "--version"], environment: Hermetic.environment).check())?
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "git not found"
        let kernel = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        return "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(memory) memory, "
            + "Linux \(kernel), \(git), libgit2 \(GitLibrary.version), temp dir \(FileManager.default.temporaryDirectory.path) on \(filesystemType(of: FileManager.default.temporaryDirectory.path))"
    }

    private static func firstValue(in file: String, key: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// The filesystem under `path` (from /proc/mounts, longest matching mount point).
    private static func filesystemType(of path: String) -> String {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown" }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var best: (mount: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let mount = String(fields[1])
            let inside = resolved == mount || resolved.hasPrefix(mount == "/" ? "/" : mount + "/")
            if inside, mount.count > (best?.mount.count ?? -1) { best = (mount, String(fields[2])) }
        }
        return best?.type ?? "unknown"
    }
}
