internal import CGit2
import Foundation

/// An object database backend that keeps the objects written through it in memory, in the
/// order they were written, for its owner to store as one pack (or drop). Added above the
/// on-disk backends, it receives every write of its database, and reads find its objects.
///
/// Memory stays bounded: objects of `largeObjectBytes` or more, and every object once
/// `memoryBudget` bytes are held, pass through to the next backend (the loose object store).
final class InMemoryObjectBackend {
    struct Object {
        let id: git_oid
        let type: git_object_t
        let data: [UInt8]
    }

    static let largeObjectBytes: git_object_size_t = 32 << 20
    static let defaultMemoryBudget = 256 << 20

    private let lock = NSLock()
    private var stored: [Object] = []
    private var positions: [ObjectName: Int] = [:]
    private var storedBytes = 0
    private let memoryBudget: Int

    private init(memoryBudget: Int) {
        self.memoryBudget = memoryBudget
    }

    /// The objects written so far, in write order, each once.
    var objects: [Object] { lock.withLock { stored } }

    /// Creates a backend and adds it to `repository`'s object database with a priority above
    /// the loose and packed stores. The database owns it from then on; the returned value
    /// stays valid as long as the caller keeps it.
    static func attach(to repository: Repository, memoryBudget: Int = defaultMemoryBudget) throws -> InMemoryObjectBackend {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, repository.pointer), "opening the object database")
        defer { git_odb_free(odb) }

        let owner = InMemoryObjectBackend(memoryBudget: memoryBudget)
        let wrapper = UnsafeMutablePointer<autofix_odb_backend>.allocate(capacity: 1)
        wrapper.initialize(to: autofix_odb_backend())
        let initialised = git_odb_init_backend(&wrapper.pointee.parent, UInt32(GIT_ODB_BACKEND_VERSION))
        if initialised < 0 {
            wrapper.deinitialize(count: 1)
            wrapper.deallocate()
            try check(initialised, "preparing an in-memory object store")
        }
        wrapper.pointee.owner = Unmanaged.passRetained(owner).toOpaque()
        wrapper.pointee.parent.read = readCallback
        wrapper.pointee.parent.read_header = readHeaderCallback
        wrapper.pointee.parent.write = writeCallback
        wrapper.pointee.parent.writestream = writeStreamCallback
        wrapper.pointee.parent.exists = existsCallback
        wrapper.pointee.parent.free = freeCallback

        let backend = UnsafeMutableRawPointer(wrapper).assumingMemoryBound(to: git_odb_backend.self)
        let result = git_odb_add_backend(odb, backend, 1000)
        if result < 0 {
            freeCallback(backend)
            _ = try check(result, "preparing an in-memory object store")
        }
        return owner
    }

    /// Whether an object of `size` bytes may still be held in memory.
    fileprivate func accepts(size: Int) -> Bool {
        size < Int(InMemoryObjectBackend.largeObjectBytes) && lock.withLock { storedBytes + size <= memoryBudget }
    }

    fileprivate func store(_ id: git_oid, _ type: git_object_t, _ bytes: UnsafeRawBufferPointer) {
        let name = ObjectName(id)
        lock.withLock {
            guard positions[name] == nil else { return }
            positions[name] = stored.count
            stored.append(Object(id: id, type: type, data: Array(bytes)))
            storedBytes += bytes.count
        }
    }

    fileprivate func lookup(_ id: git_oid) -> Object? {
        lock.withLock { positions[ObjectName(id)].map { stored[$0] } }
    }

    fileprivate static func owner(of backend: UnsafeMutablePointer<git_odb_backend>?) -> InMemoryObjectBackend {
        let wrapper = UnsafeMutableRawPointer(backend!).assumingMemoryBound(to: autofix_odb_backend.self)
        return Unmanaged<InMemoryObjectBackend>.fromOpaque(wrapper.pointee.owner).takeUnretainedValue()
    }
}

/// The 20 bytes of a SHA-1 object name as a dictionary key.
private struct ObjectName: Hashable {
    let high: UInt64, middle: UInt64, low: UInt32

    init(_ oid: git_oid) {
        var copy = oid.id
        (high, middle, low) = withUnsafeBytes(of: &copy) {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        }
    }
}

// The callbacks: C function pointers, so they capture nothing and find their owner through the
// wrapper. libgit2 treats GIT_ENOTFOUND from one backend as "ask the next one".

private let readCallback: @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<git_object_t>?,
    UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?
) -> Int32 = { data, length, type, backend, id in
    guard let id, let object = InMemoryObjectBackend.owner(of: backend).lookup(id.pointee) else {
        return GIT_ENOTFOUND.rawValue
    }
    guard let buffer = git_odb_backend_data_alloc(backend, object.data.count) else { return -1 }
    object.data.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    data?.pointee = buffer
    length?.pointee = object.data.count
    type?.pointee = object.type
    return 0
}

private let readHeaderCallback: @convention(c) (
    UnsafeMutablePointer<Int>?, UnsafeMutablePointer<git_object_t>?, UnsafeMutablePointer<git_odb_backend>?,
    UnsafePointer<git_oid>?
) -> Int32 = { length, type, backend, id in
    guard let id, let object = InMemoryObjectBackend.owner(of: backend).lookup(id.pointee) else {
        return GIT_ENOTFOUND.rawValue
    }
    length?.pointee = object.data.count
    type?.pointee = object.type
    return 0
}

private let writeCallback: @convention(c) (
    UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?, UnsafeRawPointer?, Int, git_object_t
) -> Int32 = { backend, id, data, length, type in
    guard let id else { return -1 }
    let owner = InMemoryObjectBackend.owner(of: backend)
    guard owner.accepts(size: length) else { return GIT_PASSTHROUGH.rawValue }
    owner.store(id.pointee, type, UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let existsCallback: @convention(c) (UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?) -> Int32 = {
    backend, id in
    guard let id else { return 0 }
    return InMemoryObjectBackend.owner(of: backend).lookup(id.pointee) == nil ? 0 : 1
}

private let freeCallback: @convention(c) (UnsafeMutablePointer<git_odb_backend>?) -> Void = { backend in
    guard let backend else { return }
    let wrapper = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: autofix_odb_backend.self)
    Unmanaged<InMemoryObjectBackend>.fromOpaque(wrapper.pointee.owner).release()
    wrapper.deinitialize(count: 1)
    wrapper.deallocate()
}

/// Blobs read from files arrive as streams. Small ones are collected and stored on
/// finalisation; large ones, and all once the memory budget is spent, are passed to the next
/// backend (the loose store), which streams them to disk.
private let writeStreamCallback: @convention(c) (
    UnsafeMutablePointer<UnsafeMutablePointer<git_odb_stream>?>?, UnsafeMutablePointer<git_odb_backend>?,
    git_object_size_t, git_object_t
) -> Int32 = { out, backend, size, type in
    guard InMemoryObjectBackend.owner(of: backend).accepts(size: Int(clamping: size)) else { return GIT_PASSTHROUGH.rawValue }
    let stream = UnsafeMutablePointer<autofix_odb_stream>.allocate(capacity: 1)
    stream.initialize(to: autofix_odb_stream())
    stream.pointee.parent.backend = backend
    stream.pointee.parent.mode = UInt32(GIT_STREAM_WRONLY.rawValue)
    stream.pointee.owner = Unmanaged.passRetained(StreamBuffer(type: type, capacity: Int(size))).toOpaque()
    stream.pointee.parent.write = streamWriteCallback
    stream.pointee.parent.finalize_write = streamFinalizeCallback
    stream.pointee.parent.free = streamFreeCallback
    out?.pointee = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_odb_stream.self)
    return 0
}

private final class StreamBuffer {
    let type: git_object_t
    var bytes: [UInt8] = []
    init(type: git_object_t, capacity: Int) {
        self.type = type
        bytes.reserveCapacity(capacity)
    }

    static func of(_ stream: UnsafeMutablePointer<git_odb_stream>?) -> StreamBuffer {
        let wrapper = UnsafeMutableRawPointer(stream!).assumingMemoryBound(to: autofix_odb_stream.self)
        return Unmanaged<StreamBuffer>.fromOpaque(wrapper.pointee.owner).takeUnretainedValue()
    }
}

private let streamWriteCallback: @convention(c) (UnsafeMutablePointer<git_odb_stream>?, UnsafePointer<CChar>?, Int) -> Int32 = {
    stream, data, length in
    guard let data else { return length == 0 ? 0 : -1 }
    StreamBuffer.of(stream).bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let streamFinalizeCallback: @convention(c) (UnsafeMutablePointer<git_odb_stream>?, UnsafePointer<git_oid>?) -> Int32 = {
    stream, id in
    guard let stream, let id else { return -1 }
    let buffer = StreamBuffer.of(stream)
    buffer.bytes.withUnsafeBytes {
        InMemoryObjectBackend.owner(of: stream.pointee.backend).store(id.pointee, buffer.type, $0)
    }
    return 0
}

private let streamFreeCallback: @convention(c) (UnsafeMutablePointer<git_odb_stream>?) -> Void = { stream in
    guard let stream else { return }
    let wrapper = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: autofix_odb_stream.self)
    Unmanaged<StreamBuffer>.fromOpaque(wrapper.pointee.owner).release()
    wrapper.deinitialize(count: 1)
    wrapper.deallocate()
}
