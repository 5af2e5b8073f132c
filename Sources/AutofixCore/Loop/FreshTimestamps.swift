import Foundation

/// Makes sure files rewritten between two test runs look newer to mtime-based caches. Python's
/// bytecode cache and make compare modification times in whole seconds, and a patch (or a
/// rollback) often lands in the same second as the file's previous version, often with the same
/// size (`a - b` → `a + b`): the tests would then run the stale compiled version.
struct FreshTimestamps {
    let directory: URL
    private var before: [String: Int] = [:]

    /// Records the current modification second of each of `paths` that exists.
    init(paths: [String], in directory: URL) {
        self.directory = directory
        for path in paths {
            var info = stat()
            if lstat(directory.appendingPathComponent(path).path, &info) == 0 { before[path] = info.st_mtim.tv_sec }
        }
    }

    /// Moves the modification time of every recorded file that still exists past its old second.
    func bump() {
        for (path, oldSecond) in before {
            let file = directory.appendingPathComponent(path).path
            var info = stat()
            guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mtim.tv_sec <= oldSecond else { continue }
            var times = [info.st_atim, timespec(tv_sec: oldSecond + 1, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, file, &times, 0)
        }
    }
}
