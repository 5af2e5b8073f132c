import Foundation

/// The user's uncommitted work as the model reads it: the diff of the snapshot against its base,
/// file by file, and the lines of each file's new version that the diff touches.
struct WorkingChanges {
    struct FileDiff {
        let path: String
        let text: String
        /// 1-based lines of the new version that were added, or next to which lines were removed.
        let changedLines: [Int]
    }

    let files: [FileDiff]

    init(files: [FileDiff]) { self.files = files }

    /// Splits `git diff` output into its files.
    init(patchText: String) {
        var files: [FileDiff] = []
        var path: String?
        var text = ""
        var changed: [Int] = []
        var newLine = 0
        func flush() {
            if let path, !text.isEmpty { files.append(FileDiff(path: path, text: text, changedLines: changed)) }
            path = nil
            text = ""
            changed = []
        }
        for line in patchText.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("diff --git ") {
                flush()
                let parts = line.dropFirst("diff --git ".count).components(separatedBy: " b/")
                path = parts.count >= 2 ? parts.last : nil
            } else if line.hasPrefix("+++ b/") {
                path = String(line.dropFirst(6))
            } else if line.hasPrefix("@@ "), let plus = line.split(separator: " ").dropFirst(2).first, plus.hasPrefix("+") {
                newLine = Int(plus.dropFirst().split(separator: ",").first ?? "") ?? 1
            } else if line.hasPrefix("+") && !line.hasPrefix("+++") {
                changed.append(newLine)
                newLine += 1
            } else if line.hasPrefix("-") && !line.hasPrefix("---") {
                if changed.last != newLine { changed.append(max(newLine, 1)) }
            } else if line.hasPrefix(" ") {
                newLine += 1
            }
            if path != nil || line.hasPrefix("diff --git ") { text += line + "\n" }
        }
        flush()
        self.files = files
    }

    func diff(of path: String) -> FileDiff? { files.first { $0.path == path } }
}
