import RobotCore

/// A duplex byte stream a servo protocol talks over: a `SerialPort`, or a test double.
public protocol ByteLink: AnyObject {
    /// Bits per second, for wire-time estimates.
    var baudRate: Int { get }
    /// Writes all bytes.
    func write(_ bytes: [UInt8]) throws
    /// Reads what arrives before `deadline`; returns 0 on timeout.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Timestamp) throws -> Int
    /// Discards unread input.
    func discardInput() throws
}

extension SerialPort: ByteLink {
    public func discardInput() throws { try flush(.input) }
}

/// Incoming bytes, kept between reads so a packet split over reads, or two packets in
/// one read, are handled; garbage is dropped byte by byte while resynchronising.
final class ReceiveBuffer {
    private(set) var bytes: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 1024)

    /// Reads more bytes from `link`; returns false on timeout.
    func fill(from link: ByteLink, deadline: Timestamp) throws -> Bool {
        let n = try scratch.withUnsafeMutableBytes { try link.read(into: $0, deadline: deadline) }
        if n == 0 { return false }
        bytes.append(contentsOf: scratch[0..<n])
        return true
    }

    func drop(_ n: Int) { bytes.removeFirst(min(n, bytes.count)) }
    func clear() { bytes.removeAll(keepingCapacity: true) }
}

/// How the two vendors' parsers report the state of the buffer.
enum ParseResult<Packet> {
    /// A complete, valid packet of `length` bytes at the front.
    case packet(Packet, length: Int)
    /// A complete packet at the front whose checksum is wrong.
    case badChecksum(id: UInt8, expected: UInt16, received: UInt16, length: Int)
    /// The front could be the start of a packet: read more.
    case needMore
    /// The front byte cannot start a packet: drop it and try again.
    case garbage
}

/// Transaction settings shared by both protocols.
public struct TransactionPolicy: Sendable, Equatable {
    /// Seconds to wait for a reply (per servo for sync reads), on top of the wire time.
    public var timeout: Double
    /// Extra attempts after a failed one (no reply, bad checksum, short read).
    public var retries: Int

    /// Creates a policy; the defaults suit USB adapters at 1 Mbps.
    public init(timeout: Double = 0.05, retries: Int = 2) {
        self.timeout = timeout
        self.retries = retries
    }
}

extension ByteLink {
    /// Wire time of `bytes` bytes at 10 bits per byte (start, 8 data, stop).
    func wireTime(bytes: Int) -> Double { Double(bytes * 10) / Double(max(baudRate, 1)) }
}
