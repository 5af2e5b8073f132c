import Foundation

/// A text file as lines with their own terminators, so an edit keeps CRLF, LF and a missing final
/// newline exactly as they were.
struct TextFile: Equatable {
    enum Ending: Equatable {
        case lf, crlf, none

        var bytes: [UInt8] {
            switch self {
            case .lf: return [0x0A]
            case .crlf: return [0x0D, 0x0A]
            case .none: return []
            }
        }
    }

    struct Line: Equatable {
        var text: String
        var ending: Ending
    }

    var lines: [Line]

    /// The terminator most lines use; new lines get it.
    var dominantEnding: Ending {
        var crlf = 0
        var lf = 0
        for line in lines {
            if line.ending == .crlf { crlf += 1 } else if line.ending == .lf { lf += 1 }
        }
        return crlf > lf ? .crlf : .lf
    }

    var endsWithNewline: Bool { lines.last.map { $0.ending != .none } ?? true }

    init(lines: [Line]) {
        self.lines = lines
    }

    /// Nil when `data` is not UTF-8 text (binary files are never patched).
    init?(data: Data) {
        guard !data.contains(0), String(data: data, encoding: .utf8) != nil else { return nil }
        var lines: [Line] = []
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            let bytes = buffer.bindMemory(to: UInt8.self)
            var start = 0
            for index in 0..<bytes.count where bytes[index] == 0x0A {
                let hasCR = index > start && bytes[index - 1] == 0x0D
                let end = hasCR ? index - 1 : index
                lines.append(Line(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self),
                                  ending: hasCR ? .crlf : .lf))
                start = index + 1
            }
            if start < bytes.count {
                lines.append(Line(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self),
                                  ending: .none))
            }
        }
        self.lines = lines
    }

    var data: Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.text.utf8.count + 2 })
        for line in lines {
            bytes.append(contentsOf: line.text.utf8)
            bytes.append(contentsOf: line.ending.bytes)
        }
        return Data(bytes)
    }

    /// Gives every line but the last a terminator, and the last one the requested state.
    mutating func settleEndings(finalNewline: Bool, fallback: Ending) {
        guard !lines.isEmpty else { return }
        for index in lines.indices.dropLast() where lines[index].ending == .none {
            lines[index].ending = fallback
        }
        let last = lines.count - 1
        if finalNewline {
            if lines[last].ending == .none { lines[last].ending = fallback }
        } else {
            lines[last].ending = .none
        }
    }
}
