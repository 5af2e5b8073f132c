import AutofixBenchSupport
import Foundation

extension WarmBench {
    /// A Python project with a suite that takes a while: `windows.py`, two tests of it, and
    /// `slowTests` tests of `shape` in ten more files; `python3 -m pytest -q` from PATH. There is
    /// nothing to build, so the user's first build is the first test run (`__pycache__`).
    static func pytestProject(slowTests: Int, shape: TargetedBench.Shape) -> Project {
        Project(name: "pytest", testCommand: TargetedBench.testCommand, missing: pytestMissing) { directory, environment in
            func write(_ text: String, _ name: String) throws {
                try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try write("def window_sums(values, size):\n"
                + "    return [sum(values[i:i + size], 0) for i in range(len(values) - size + 1)]\n", "windows.py")
            try write("from windows import window_sums\n\n\ndef test_sums():\n    assert window_sums([1, 2, 3, 4], 2) == [3, 5, 7]\n"
                + "\n\ndef test_empty():\n    assert window_sums([], 2) == []\n", "test_windows.py")
            for file in 0..<TargetedBench.testFiles {
                let count = slowTests / TargetedBench.testFiles + (file < slowTests % TargetedBench.testFiles ? 1 : 0)
                let tests = (0..<count).map { "\n\ndef test_\($0)():\n" + shape.body($0) }
                try write(shape.imports + tests.joined(), "test_slow\(file).py")
            }
            try write(TargetedBench.library, "lib.py")
            try write("[pytest]\naddopts = -p no:cacheprovider\n", "pytest.ini")
            try write("__pycache__/\n", ".gitignore")
            try BenchProcess(arguments: ["/bin/sh", "-c", TargetedBench.testCommand], directory: directory, environment: environment).check()
        }
    }

    static func pytestMissing() -> String? {
        onPath("python3") ?? ((try? Shell.check(["python3", "-c", "import pytest"])) == nil ? "python3 cannot import pytest" : nil)
    }
}
