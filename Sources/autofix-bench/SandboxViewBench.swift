import AutofixCore
import AutofixSandbox
import AutofixSupport
import Foundation

/// What bringing the sandbox's view to the host's checkout costs before a test run, against the
/// obvious alternative of copying the whole checkout afresh (`cp -a`), in the same run.
enum SandboxViewBench {
    static func run(smoke: Bool) throws {
        let sizes = smoke ? [100] : [1_000, 10_000]
        let repetitions = smoke ? 1 : 5
        print("\nview update before a test run (median of \(repetitions); files of ~1 KiB in dirs of 100)")
        print("files   first update   cp -a   ratio   nothing changed   2 files changed   after an attack")
        for size in sizes {
            let root = try PrivateDirectory.make(under: FileManager.default.temporaryDirectory, prefix: "autofix-bench-view-")
            defer { try? DirectoryHandle.removeItem(at: root) }
            let source = root.appendingPathComponent("work")
            try makeTree(at: source, files: size)

            var first: [Double] = [], copy: [Double] = [], unchanged: [Double] = [], changed: [Double] = [], attacked: [Double] = []
            for repetition in 0..<repetitions {
                let view = try SandboxView(directory: root.appendingPathComponent("view-\(repetition)"))
                first.append(try time { try view.update(from: source) })
                unchanged.append(try time { try view.update(from: source) })
                for index in [3, size / 2] {
                    try "edited \(repetition)\n".write(to: source.appendingPathComponent(path(of: index)), atomically: true, encoding: .utf8)
                }
                changed.append(try time { try view.update(from: source) })
                // What a hostile test leaves: a directory swapped for a link, a stray file.
                let directory = view.directory.appendingPathComponent("d0000")
                try FileManager.default.removeItem(at: directory)
                try FileManager.default.createSymbolicLink(atPath: directory.path, withDestinationPath: "/etc")
                try "stray".write(to: view.directory.appendingPathComponent("stray.txt"), atomically: true, encoding: .utf8)
                attacked.append(try time { try view.update(from: source) })
                try view.remove()

                let target = root.appendingPathComponent("copy-\(repetition)")
                copy.append(try time { try run(["/bin/cp", "-a", source.path, target.path]) })
                try DirectoryHandle.removeItem(at: target)
            }
            let ratio = median(first) / median(copy)
            print(String(format: "%5d   %9.1f ms %7.1f ms  %5.2fx   %12.2f ms   %12.2f ms   %12.2f ms", size,
                         median(first) * 1000, median(copy) * 1000, ratio,
                         median(unchanged) * 1000, median(changed) * 1000, median(attacked) * 1000))
        }
    }

    private static func path(of index: Int) -> String {
        String(format: "d%04d/file%05d.txt", index / 100, index)
    }

    private static func makeTree(at root: URL, files: Int) throws {
        let line = String(repeating: "let value = 42 // padding to about a kilobyte\n", count: 22)
        for index in 0..<files {
            let file = root.appendingPathComponent(path(of: index))
            if index % 100 == 0 {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            }
            try (line + "\(index)\n").write(to: file, atomically: false, encoding: .utf8)
        }
    }

    private static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private static func run(_ arguments: [String]) throws {
        var spec = ProcessSpec(arguments, environment: ProcessInfo.processInfo.environment)
        spec.stdout = .inherit
        spec.stderr = .inherit
        guard try ProcessLauncher.run(spec).succeeded else { throw SandboxBenchFailure("\(arguments.joined(separator: " ")) failed") }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
