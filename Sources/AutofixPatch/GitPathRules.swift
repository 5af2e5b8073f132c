/// The paths git itself refuses to put in an index or a tree: `verify_path` in git's
/// read-cache.c with `core.protectHFS` and `core.protectNTFS` both on (git's defaults on macOS
/// and Windows), which is also what `git fsck` reports as `hasDotgit`. A path that is `.git` on
/// some file system must never be written by a patch: checked out there it would replace the
/// repository's own configuration and hooks. libgit2 refuses most of them when committing, so
/// letting one through would also end the run instead of telling the model.
enum GitPathRules {
    /// Why git refuses `path` (a repository-relative path, `/`-separated), or nil when it does
    /// not. The reason names the offending component.
    static func problem(_ path: String) -> String? {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for component in components {
            if component.isEmpty || component == "." || component == ".." {
                return "'\(path)' has an empty, '.' or '..' component"
            }
            if component.lowercased() == ".git" {
                return "'\(path)' is inside .git; only files of the working tree may be changed"
            }
            if isHFSDotfile(component, "git") {
                return "'\(visible(path))' is inside .git: '\(visible(component))' is .git on HFS+ (macOS), which ignores invisible characters; only files of the working tree may be changed"
            }
            // NTFS treats a backslash as a separator too, so every part after one is checked.
            for part in component.split(separator: "\\", omittingEmptySubsequences: false) where isNTFSDotGit(Array(part.utf8)) {
                return "'\(visible(path))' is inside .git: '\(visible(component))' is .git on Windows (NTFS drops trailing dots and spaces, and GIT~1 is its short name); only files of the working tree may be changed"
            }
        }
        return nil
    }

    /// The dot files whose other spellings (HFS+ ignorable characters, case, NTFS short names
    /// and trailing dots or spaces) git recognises, as git's `is_hfs_dotgitmodules` and
    /// `is_ntfs_dotgitmodules` family does. Each comes with the prefix of its NTFS fall-back
    /// short name.
    static let specialDotfiles: [(name: String, shortPrefix: String)] = [
        ("gitmodules", "gi7eba"), ("gitattributes", "gi7d29"), ("gitignore", "gi250a"), ("mailmap", "maba30"),
    ]

    /// The special dot file (".gitmodules", ".gitattributes", ".gitignore", ".mailmap") that
    /// `component` is on HFS+ or NTFS, or nil: `gitmod~1` is `.gitmodules`, so is `.GitModules `.
    static func specialDotfile(_ component: String) -> String? {
        let bytes = Array(component.utf8)
        for special in specialDotfiles
        where isHFSDotfile(component, special.name) || isNTFSDotfile(bytes, special.name, shortPrefix: special.shortPrefix) {
            return "." + special.name
        }
        return nil
    }

    /// `path` with every component that is a special dot file in another spelling replaced by
    /// the dot file's own name, so patterns written for `.gitmodules` match all its spellings.
    static func canonical(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { specialDotfile(String($0)) ?? String($0) }
            .joined(separator: "/")
    }

    // MARK: HFS+

    /// Code points HFS+ ignores in file names (git's `next_hfs_char`).
    private static let hfsIgnorable: Set<UInt32> = [
        0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
        0x206A, 0x206B, 0x206C, 0x206D, 0x206E, 0x206F, 0xFEFF,
    ]

    /// Whether `component` is "." + `needle` on HFS+: ignorable code points dropped, ASCII case
    /// folded (git's `is_hfs_dot_generic`; its needles are lower-case ASCII).
    static func isHFSDotfile(_ component: String, _ needle: String) -> Bool {
        let scalars = component.unicodeScalars.filter { !hfsIgnorable.contains($0.value) }.map(\.value)
        let expected = [UInt32(UInt8(ascii: "."))] + needle.utf8.map(UInt32.init)
        guard scalars.count == expected.count else { return false }
        return zip(scalars, expected).allSatisfy { actual, wanted in
            actual < 128 && asciiLower(UInt8(actual)) == UInt8(wanted)
        }
    }

    // MARK: NTFS

    /// Whether `name` (up to its end, a separator or a `:` stream name) is `.git` or `git~1`
    /// on NTFS: any case, followed only by dots and spaces, which NTFS drops (git's
    /// `is_ntfs_dotgit`).
    static func isNTFSDotGit(_ name: [UInt8]) -> Bool {
        let rest: ArraySlice<UInt8>
        if hasPrefixIgnoringCase(name[...], ".git") {
            rest = name[4...]
        } else if hasPrefixIgnoringCase(name[...], "git~1") {
            rest = name[5...]
        } else {
            return false
        }
        for byte in rest {
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: ":") { return true }
            if byte != UInt8(ascii: ".") && byte != UInt8(ascii: " ") { return false }
        }
        return true
    }

    /// Whether `name` is "." + `dotName` on NTFS: the name itself, its regular short name (six
    /// characters, `~1` to `~4`) or a fall-back short name (`shortPrefix`, then `~` and digits),
    /// followed only by dots and spaces (git's `is_ntfs_dot_generic`).
    static func isNTFSDotfile(_ name: [UInt8], _ dotName: String, shortPrefix: String) -> Bool {
        func onlySpacesAndPeriods(from start: Int) -> Bool {
            for byte in name[min(start, name.count)...] {
                if byte == UInt8(ascii: ":") { return true }
                if byte != UInt8(ascii: " ") && byte != UInt8(ascii: ".") { return false }
            }
            return true
        }
        if name.first == UInt8(ascii: "."), hasPrefixIgnoringCase(name[1...], dotName) {
            return onlySpacesAndPeriods(from: 1 + dotName.utf8.count)
        }
        let dot = Array(dotName.utf8)
        if name.count >= 8, hasPrefixIgnoringCase(name[...], String(decoding: dot[..<6], as: UTF8.self)),
           name[6] == UInt8(ascii: "~"), (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(name[7]) {
            return onlySpacesAndPeriods(from: 8)
        }
        let prefix = Array(shortPrefix.utf8)
        var sawTilde = false
        var index = 0
        while index < 8 {
            guard index < name.count else { return false }
            let byte = name[index]
            if sawTilde {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            } else if byte == UInt8(ascii: "~") {
                index += 1
                guard index < name.count, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(name[index]) else { return false }
                sawTilde = true
            } else if index >= 6 || byte & 0x80 != 0 || asciiLower(byte) != prefix[index] {
                return false
            }
            index += 1
        }
        return onlySpacesAndPeriods(from: 8)
    }

    private static func hasPrefixIgnoringCase(_ bytes: ArraySlice<UInt8>, _ prefix: String) -> Bool {
        let wanted = Array(prefix.utf8)
        guard bytes.count >= wanted.count else { return false }
        return zip(bytes, wanted).allSatisfy { asciiLower($0) == $1 }
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// `text` as it can be read: invisible code points (controls, format characters such as
    /// U+200C) as `\u{...}`; everything else as it is.
    static func visible(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
