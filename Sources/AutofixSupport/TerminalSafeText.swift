/// Text that git autofix did not write (model replies, server messages, model ids, test output,
/// file names, commit messages read back), made safe to print. A terminal takes escape sequences
/// and control characters as commands: set the window title, write the clipboard, make links,
/// clear the screen, overwrite a line, reset itself. So every escape sequence (7-bit ESC forms
/// and their 8-bit C1 introducers) is removed whole, carriage returns are removed, and any other
/// C0 or C1 control, or DEL, is shown escaped (`\x07`) so the reader sees that something was there.
public enum TerminalSafeText {
    /// Keeps newlines and tabs.
    public static func text(_ text: String) -> String {
        clean(text, keeping: 1 << newline | 1 << tab)
    }

    /// For one-line fields (commit subjects, trailers, names): newlines and tabs become spaces.
    public static func line(_ text: String) -> String {
        clean(text, keeping: 0)
    }

    /// Keeps carriage returns as well, for callers that resolve them into lines themselves
    /// (test output with progress lines).
    public static func keepingCarriageReturns(_ text: String) -> String {
        clean(text, keeping: 1 << newline | 1 << tab | 1 << carriageReturn)
    }

    private static let escape: UInt8 = 0x1B
    private static let bell: UInt8 = 0x07
    private static let newline: UInt8 = 0x0A
    private static let tab: UInt8 = 0x09
    private static let carriageReturn: UInt8 = 0x0D
    /// UTF-8 encodes U+0080–U+00BF as 0xC2 followed by the low byte, so C1 controls are 0xC2 0x80–0x9F.
    private static let c1Lead: UInt8 = 0xC2

    /// `kept`: a bit for each C0 control that passes through unchanged.
    private static func clean(_ text: String, keeping kept: UInt32) -> String {
        func isKept(_ byte: UInt8) -> Bool { byte < 0x20 && kept & (1 << byte) != 0 }
        let mayNeedWork = text.utf8.contains { byte in
            (byte < 0x20 && !isKept(byte)) || byte == 0x7F || byte == c1Lead
        }
        guard mayNeedWork else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == escape {
                index = afterEscapeSequence(bytes, at: index, output: &output)
            } else if byte == c1Lead, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                index = afterC1(bytes, code: bytes[index + 1], at: index + 2, output: &output)
            } else if isKept(byte) {
                output.append(byte)
                index += 1
            } else if byte == newline || byte == tab {
                output.append(UInt8(ascii: " "))
                index += 1
            } else if byte == carriageReturn {
                index += 1
            } else if byte < 0x20 || byte == 0x7F {
                appendVisible(byte, to: &output)
                index += 1
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Skips the sequence that the ESC at `start` begins; a lone ESC is shown escaped.
    private static func afterEscapeSequence(_ bytes: [UInt8], at start: Int, output: inout [UInt8]) -> Int {
        let next = start + 1
        guard next < bytes.count else {
            appendVisible(escape, to: &output)
            return next
        }
        switch bytes[next] {
        case UInt8(ascii: "["): return afterControlSequence(bytes, from: next + 1)
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
            return afterControlString(bytes, from: next + 1)
        case 0x20...0x2F:
            // nF: intermediates, then one final byte (ESC ( B, ESC # 8).
            var index = next
            while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
            if index < bytes.count, (0x30...0x7E).contains(bytes[index]) { index += 1 }
            return index
        case 0x30...0x7E:
            // Two bytes: ESC c (reset), ESC 7, ESC =, ESC D, ESC \ (a stray string terminator).
            return next + 1
        default:
            appendVisible(escape, to: &output)
            return next
        }
    }

    /// Handles the C1 control `code` whose two UTF-8 bytes end just before `index`.
    private static func afterC1(_ bytes: [UInt8], code: UInt8, at index: Int, output: inout [UInt8]) -> Int {
        switch code {
        case 0x9B: return afterControlSequence(bytes, from: index)
        case 0x90, 0x98, 0x9D, 0x9E, 0x9F: return afterControlString(bytes, from: index)
        default:
            appendVisible(code, to: &output)
            return index
        }
    }

    /// CSI: parameter bytes, intermediate bytes, one final byte. Anything else ends it early, and
    /// is then handled on its own.
    private static func afterControlSequence(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, (0x30...0x3F).contains(bytes[index]) { index += 1 }
        while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
        if index < bytes.count, (0x40...0x7E).contains(bytes[index]) { index += 1 }
        return index
    }

    /// OSC, DCS, SOS, PM, APC: everything up to BEL or ST (ESC \ or 8-bit 0x9C). An unterminated
    /// string ends at the next newline or ESC, so what follows it stays readable.
    private static func afterControlString(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case bell: return index + 1
            case escape:
                let terminated = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\\")
                return terminated ? index + 2 : index
            case c1Lead where index + 1 < bytes.count && bytes[index + 1] == 0x9C: return index + 2
            case newline: return index
            default: index += 1
            }
        }
        return index
    }

    private static func appendVisible(_ code: UInt8, to output: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        output += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(code >> 4)], digits[Int(code & 0x0F)]]
    }
}

extension ShellWord {
    /// `word` quoted so that pasting the command it is part of into a POSIX shell passes exactly
    /// `word`; nil when it holds a control character or a line break, which no quoting makes safe
    /// to paste (a terminal acts on them before the shell sees them).
    public static func quotedForPasting(_ word: String) -> String? {
        let pasteable = word.unicodeScalars.allSatisfy { scalar in
            !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }
        return pasteable ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : nil
    }
}
