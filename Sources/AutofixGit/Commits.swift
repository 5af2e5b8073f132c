internal import CGit2
import Foundation

/// A commit read from the object database.
public struct CommitInfo: Sendable, Equatable {
    public let id: ObjectID
    public let tree: ObjectID
    public let parents: [ObjectID]
    public let message: String
    public let time: Date

    /// The first line of the message.
    public var summary: String { message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "" }

    /// `Key: value` trailers from the message's last paragraph.
    public var trailers: [String: String] { Trailers.parse(message) }
}

/// Commit trailers (`Key: value` lines closing a commit message).
public enum Trailers {
    public static func parse(_ message: String) -> [String: String] {
        let paragraphs = message.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n\n")
        guard let last = paragraphs.last, paragraphs.count > 1 else { return [:] }
        var result: [String: String] = [:]
        for line in last.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { return [:] }
            let key = line[..<colon]
            guard !key.isEmpty, !key.contains(" ") else { return [:] }
            result[String(key)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// `subject`, an optional body, then one trailer per line in the given order.
    public static func message(subject: String, body: String? = nil, trailers: [(String, String)]) -> String {
        var text = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        if let body, !body.isEmpty { text += "\n\n" + body.trimmingCharacters(in: .whitespacesAndNewlines) }
        if !trailers.isEmpty {
            text += "\n\n" + trailers.map { "\($0.0): \($0.1.replacingOccurrences(of: "\n", with: " "))" }.joined(separator: "\n")
        }
        return text + "\n"
    }
}

extension Repository {
    public func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = try id.raw
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, pointer, &oid), "reading commit \(id.short)")
        defer { git_commit_free(commit) }
        var parents: [ObjectID] = []
        for position in 0..<git_commit_parentcount(commit) {
            parents.append(ObjectID(git_commit_parent_id(commit, position)!.pointee))
        }
        let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        return CommitInfo(
            id: id, tree: ObjectID(git_commit_tree_id(commit)!.pointee), parents: parents, message: message,
            time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))))
    }

    /// Resolves any revision git understands (`HEAD~2`, a short id, a ref) to a commit id.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var object: OpaquePointer?
        try check(git_revparse_single(&object, pointer, revision), "resolving `\(revision)`")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "`\(revision)` is not a commit")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit)!.pointee)
    }

    /// Writes a commit object without moving any ref.
    public func createCommit(tree: ObjectID, parents: [ObjectID], message: String) throws -> ObjectID {
        var treeOID = try tree.raw
        var treeObject: OpaquePointer?
        try check(git_tree_lookup(&treeObject, pointer, &treeOID), "reading tree \(tree.short)")
        defer { git_tree_free(treeObject) }
        var parentObjects: [OpaquePointer?] = []
        defer { parentObjects.forEach { git_commit_free($0) } }
        for parent in parents {
            var oid = try parent.raw
            var object: OpaquePointer?
            try check(git_commit_lookup(&object, pointer, &oid), "reading parent commit \(parent.short)")
            parentObjects.append(object)
        }
        let signature = try signature()
        var result = git_oid()
        _ = try parentObjects.withUnsafeMutableBufferPointer { buffer in
            try check(
                git_commit_create(&result, pointer, nil, signature.pointer, signature.pointer, "UTF-8", message,
                                  treeObject, parents.count, buffer.baseAddress),
                "writing a commit")
        }
        return ObjectID(result)
    }

    /// The commit a ref points at, or nil when there is no such ref.
    public func referenceTarget(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        guard try checkFound(git_reference_name_to_id(&oid, pointer, name), "reading \(name)") else { return nil }
        return ObjectID(oid)
    }

    /// Points `name` at `target` only if it still points at `expected` (nil: only if it does not
    /// exist yet). A concurrent change makes this fail rather than overwrite.
    public func updateReference(_ name: String, to target: ObjectID, expected: ObjectID?, message: String) throws {
        var reference: OpaquePointer?
        var targetOID = try target.raw
        if let expected {
            var expectedOID = try expected.raw
            try check(git_reference_create_matching(&reference, pointer, name, &targetOID, 1, &expectedOID, message),
                      "updating \(name)")
        } else {
            try check(git_reference_create(&reference, pointer, name, &targetOID, 0, message), "creating \(name)")
        }
        git_reference_free(reference)
    }

    /// Deletes `name` if it still points at `expected`.
    public func deleteReference(_ name: String, expected: ObjectID) throws {
        var reference: OpaquePointer?
        try check(git_reference_lookup(&reference, pointer, name), "reading \(name)")
        defer { git_reference_free(reference) }
        guard let target = git_reference_target(reference) else {
            throw GitError(.invalid, "\(name) is a symbolic ref, not the commit id it was expected to hold",
                           hint: "remove it with `git symbolic-ref --delete \(name)` if it is not yours")
        }
        let current = ObjectID(target.pointee)
        guard current == expected else {
            throw GitError(.modified, "\(name) moved to \(current.short) while it was being deleted",
                           hint: "run the command again")
        }
        try check(git_reference_delete(reference), "deleting \(name)")
    }

    /// Every direct ref whose name starts with `prefix`, with its target.
    public func references(withPrefix prefix: String) throws -> [(name: String, target: ObjectID)] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_new(&iterator, pointer), "listing refs")
        defer { git_reference_iterator_free(iterator) }
        var found: [(String, ObjectID)] = []
        var reference: OpaquePointer?
        while try checkNext(git_reference_next(&reference, iterator), "listing refs") {
            defer { git_reference_free(reference) }
            let name = String(cString: git_reference_name(reference))
            guard name.hasPrefix(prefix), let target = git_reference_target(reference) else { continue }
            found.append((name, ObjectID(target.pointee)))
        }
        return found
    }

    /// Attaches `text` as a note (under `notesRef`) to `commit`, replacing an older note.
    public func addNote(_ text: String, to commit: ObjectID, notesRef: String = "refs/notes/autofix") throws {
        let signature = try signature()
        var target = try commit.raw
        var noteID = git_oid()
        try check(git_note_create(&noteID, pointer, notesRef, signature.pointer, signature.pointer, &target, text, 1),
                  "writing a note on \(commit.short)")
    }

    /// The note on `commit` under `notesRef`, if any.
    public func note(on commit: ObjectID, notesRef: String = "refs/notes/autofix") throws -> String? {
        var target = try commit.raw
        var note: OpaquePointer?
        guard try checkFound(git_note_read(&note, pointer, notesRef, &target), "reading the note on \(commit.short)") else {
            return nil
        }
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) }
    }

    /// Removes the note on `commit` under `notesRef`; a commit without one is left as it is.
    public func removeNote(on commit: ObjectID, notesRef: String = "refs/notes/autofix") throws {
        let signature = try signature()
        var target = try commit.raw
        _ = try checkFound(git_note_remove(pointer, notesRef, signature.pointer, signature.pointer, &target),
                           "removing the note on \(commit.short)")
    }

    /// Whether `ancestor` is reachable from `descendant` (or is it).
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        if ancestor == descendant { return true }
        var a = try ancestor.raw
        var d = try descendant.raw
        return try check(git_graph_descendant_of(pointer, &d, &a), "checking whether \(descendant.short) contains \(ancestor.short)") == 1
    }
}
