import RobotCore

/// The Feetech SCS/STS protocol over a byte link: ping, read, write, reg write/action,
/// sync read and sync write, with bounded retries, a per-transaction timeout and
/// resynchronisation on garbage.
///
/// ```swift
/// let bus = FeetechProtocol(link: try SerialPort(path: "/dev/ttyACM0"))
/// let raw = try bus.read(1, address: 56, count: 2)   // Present_Position
/// ```
public final class FeetechProtocol: ServoProtocolClient {
    public let family = ServoProtocolFamily.feetech
    public var policy: TransactionPolicy
    public let link: ByteLink
    private let buffer = ReceiveBuffer()

    /// Creates a client.
    public init(link: ByteLink, policy: TransactionPolicy = TransactionPolicy()) {
        self.link = link
        self.policy = policy
    }

    public func ping(_ id: UInt8) throws -> Int? {
        _ = try transact(FeetechPacket.ping(id), replies: [id], replyParams: 0)
        return nil
    }

    public func read(_ id: UInt8, address: UInt16, count: Int) throws -> [UInt8] {
        try transact(FeetechPacket.read(id, address: UInt8(address), count: UInt8(count)),
                     replies: [id], replyParams: count)[0]
    }

    public func write(_ id: UInt8, address: UInt16, data: [UInt8]) throws {
        let packet = FeetechPacket.write(id, address: UInt8(address), data: data)
        if id == FeetechPacket.broadcastID { return try send(packet) }
        _ = try transact(packet, replies: [id], replyParams: 0)
    }

    public func registerWrite(_ id: UInt8, address: UInt16, data: [UInt8]) throws {
        let packet = FeetechPacket.regWrite(id, address: UInt8(address), data: data)
        if id == FeetechPacket.broadcastID { return try send(packet) }
        _ = try transact(packet, replies: [id], replyParams: 0)
    }

    public func action() throws { try send(FeetechPacket.action()) }

    public func syncRead(_ ids: [UInt8], address: UInt16, count: Int) throws -> [[UInt8]] {
        try transact(FeetechPacket.syncRead(ids, address: UInt8(address), count: UInt8(count)),
                     replies: ids, replyParams: count)
    }

    public func syncWrite(address: UInt16, count: Int, _ values: [(id: UInt8, data: [UInt8])]) throws {
        try send(FeetechPacket.syncWrite(address: UInt8(address), count: UInt8(count), values))
    }

    // MARK: Transactions

    private func send(_ packet: [UInt8]) throws {
        do { try link.write(packet) } catch let e as SerialPortError { throw ServoBusError.port(e) }
    }

    /// Sends `packet` and collects one status from each of `replies`, in order, retrying
    /// the whole exchange on no reply, a bad checksum or a wrong length.
    private func transact(_ packet: [UInt8], replies ids: [UInt8], replyParams: Int) throws -> [[UInt8]] {
        let reader = StatusReader<FeetechPacket.Frame>(link: link, buffer: buffer, parse: FeetechPacket.parse, idOf: \.id)
        var lastError = ServoBusError.noResponse(servo: ids.first ?? FeetechPacket.broadcastID)
        for _ in 0...max(policy.retries, 0) {
            do { try link.discardInput() } catch let e as SerialPortError { throw ServoBusError.port(e) }
            buffer.clear()
            try send(packet)
            var results: [[UInt8]] = []
            var failed = false
            for id in ids {
                let window = link.wireTime(bytes: packet.count + (replyParams + 6) * (results.isEmpty ? ids.count : 1))
                let deadline = Timestamp(seconds: Timestamp.now().seconds + policy.timeout + window)
                switch try reader.next(from: id, deadline: deadline) {
                case .status(let s):
                    if s.code != 0 {
                        throw ServoBusError.statusError(servo: id, bits: s.code, meaning: FeetechPacket.describe(errorBits: s.code))
                    }
                    guard s.params.count == replyParams else {
                        lastError = .malformedReply(servo: id, reason: "\(s.params.count) data bytes, expected \(replyParams)")
                        failed = true
                        break
                    }
                    results.append(s.params)
                case .timeout(let bad):
                    if let bad {
                        lastError = .checksumMismatch(servo: id, expected: bad.expected, received: bad.received)
                    } else {
                        lastError = .noResponse(servo: id)
                    }
                    failed = true
                }
                if failed { break }
            }
            if !failed { return results }
        }
        throw lastError
    }
}
