import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files on disk that writing a tree into the work tree would replace although no tree that
/// `apply` compares holds them: ignored files (`.env`, `settings.local`) and whatever stands
/// where a new directory has to go. libgit2 replaces those without a word, so `apply` backs
/// them up first.
struct FilesInTheWay {
    let workTree: URL
    /// Every path of the work tree's captured tree: what the backup of local changes already keeps.
    let captured: Set<String>

    /// The files (regular files and symlinks) that `changes` would replace, relative to the work
    /// tree. A directory in the way is refused: backing up a whole ignored tree (a cache, say)
    /// is never what the user wants, and removing it is not ours to decide.
    func paths(replacedBy changes: [FileChange]) throws -> [String] {
        var found = Set<String>()
        for change in changes where change.kind != .deleted && !captured.contains(change.path) {
            let components = change.path.split(separator: "/").map(String.init)
            for depth in 1...components.count {
                let path = components.prefix(depth).joined(separator: "/")
                guard !captured.contains(path), let info = status(path) else { continue }
                let kind = info.st_mode & S_IFMT
                if kind == S_IFREG || kind == S_IFLNK {
                    found.insert(path)
                } else if depth == components.count {
                    throw GitError.refusal(
                        .exists, "the run writes the file \(change.path), where your \(kind == S_IFDIR ? "ignored directory" : "special file") \(path) is",
                        hint: "move \(path) out of the way and run `git autofix apply` again, or cherry-pick the run's commits")
                }
            }
        }
        return found.sorted()
    }

    private func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(workTree.appendingPathComponent(path).path, &info) == 0 ? info : nil
    }
}
