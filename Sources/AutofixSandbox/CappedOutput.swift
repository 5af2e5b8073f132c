import Foundation

/// Keeps the first and the last `capacity / 2` bytes of a stream and counts what it dropped, so
/// a flooding test cannot exhaust memory while the start (setup) and the end (the summary the
/// report parsers need) survive.
struct CappedOutput {
    let capacity: Int
    private(set) var head = Data()
    private var tail = Data()
    private(set) var totalBytes = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 2)
    }

    var overflowed: Bool { totalBytes > capacity }

    mutating func append(_ chunk: Data) {
        totalBytes += chunk.count
        var rest = chunk[...]
        let headRoom = capacity / 2 - head.count
        if headRoom > 0 {
            head.append(rest.prefix(headRoom))
            rest = rest.dropFirst(headRoom)
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest)
        let tailKeep = capacity - capacity / 2
        // Trim only when twice over, so appending stays amortised O(chunk).
        if tail.count > 2 * tailKeep { tail = Data(tail.suffix(tailKeep)) }
    }

    var text: String {
        let tailKeep = capacity - capacity / 2
        let keptTail = tail.suffix(tailKeep)
        let omitted = totalBytes - head.count - keptTail.count
        if omitted <= 0 { return String(decoding: head + keptTail, as: UTF8.self) }
        return String(decoding: head, as: UTF8.self)
            + "\n[git-autofix: \(omitted) bytes of output omitted]\n"
            + String(decoding: keptTail, as: UTF8.self)
    }
}
