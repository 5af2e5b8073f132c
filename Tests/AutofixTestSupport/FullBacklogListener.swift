import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback listener whose accept queue is full, so new connections get no SYN-ACK and hang
/// in connect: the one case where the connect timeout (not the idle timeout) must fire.
public final class FullBacklogListener {
    public let port: UInt16
    private var sockets: [Int32] = []

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        sockets.append(listener)
        guard ok else { throw ListenerFailure() }
        port = UInt16(bigEndian: address.sin_port)
        // Fill the accept queue with connections nobody accepts.
        for _ in 0..<4 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            sockets.append(filler)
        }
        usleep(50_000)
    }

    deinit { sockets.forEach { close($0) } }

    public struct ListenerFailure: Error {}

    /// An http URL on this listener.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }
}
