import Foundation

/// Finds a program the way a shell does: the first executable `name` in the directories of a
/// PATH-style list.
public enum ExecutableSearch {
    public static func find(_ name: String, in searchPath: String) -> String? {
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
