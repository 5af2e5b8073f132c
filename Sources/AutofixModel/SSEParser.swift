/// One dispatched server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, "message" when absent.
    public var type: String
    /// The `data:` lines joined with "\n".
    public var data: String
    public var id: String?

    public init(type: String = "message", data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}

/// The event-stream parser of the HTML standard ("Parsing an event stream"), fed bytes in chunks
/// of any size. Works on bytes and decodes UTF-8 only when an event is complete, so a chunk
/// boundary inside a multi-byte character, or between the CR and LF of a line ending, is harmless.
///
/// Every byte is looked at once, so the cost is linear in the stream however it is chunked. A
/// line or event longer than its limit stops the parser for good (`exceededLimit` says which):
/// the bytes are not kept, so a server that never sends a line break cannot grow memory.
public struct SSEParser {
    public let maxLineBytes: Int
    public let maxEventBytes: Int
    /// Set when a line or an event grew past its limit; the parser then ignores all input.
    public private(set) var exceededLimit: ResponseLimit?
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: [UInt8] = []
    private var lastEventID: String?
    private var previousWasCR = false
    private var atStart = true

    public init(maxLineBytes: Int = .max, maxEventBytes: Int = .max) {
        self.maxLineBytes = maxLineBytes
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds the next bytes and returns the events they complete, in order. Once a limit was
    /// exceeded, returns the events completed before that and nothing ever after.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        guard exceededLimit == nil else { return events }
        for byte in bytes {
            if byte == 0x0A, previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            if byte == 0x0D || byte == 0x0A {
                previousWasCR = byte == 0x0D
                if let event = processLine() { events.append(event) }
                line.removeAll(keepingCapacity: true)
                if data.count > maxEventBytes { return stop(.event) }
            } else {
                guard line.count < maxLineBytes else { return stop(.line) }
                line.append(byte)
            }
        }
        return events

        func stop(_ limit: ResponseLimit) -> [SSEEvent] {
            exceededLimit = limit
            line = []
            data = []
            return events
        }
    }

    private mutating func processLine() -> SSEEvent? {
        if atStart {
            atStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty { return dispatch() }
        if line[0] == 0x3A { return nil }  // ":" starts a comment (servers' keep-alives)
        let name: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: 0x3A) {
            name = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == 0x20 { value = value.dropFirst() }
        } else {
            name = line[...]
            value = []
        }
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventType = Array(value)
        } else if name.elementsEqual("id".utf8) {
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        }
        // "retry" and unknown fields do not matter to a one-shot request.
        return nil
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType.removeAll()
        }
        guard hasData else { return nil }
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        return SSEEvent(type: type, data: String(decoding: data, as: UTF8.self), id: lastEventID)
    }
}
