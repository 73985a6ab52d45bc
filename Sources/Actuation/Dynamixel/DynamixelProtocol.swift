import RobotCore

/// ROBOTIS Dynamixel Protocol 2.0 over a byte link: ping, read, write, reg write/action,
/// sync read, sync write and bulk read, with bounded retries, a per-transaction timeout
/// and resynchronisation on garbage.
public final class DynamixelProtocol: ServoProtocolClient {
    public let family = ServoProtocolFamily.dynamixel
    public var policy: TransactionPolicy
    public let link: ByteLink
    private let buffer = ReceiveBuffer()

    /// Creates a client.
    public init(link: ByteLink, policy: TransactionPolicy = TransactionPolicy()) {
        self.link = link
        self.policy = policy
    }

    public func ping(_ id: UInt8) throws -> Int? {
        let r = try transact(DynamixelPacket.ping(id), replies: [(id, 3)])[0]
        return Int(r[0]) | Int(r[1]) << 8
    }

    public func read(_ id: UInt8, address: UInt16, count: Int) throws -> [UInt8] {
        try transact(DynamixelPacket.read(id, address: address, count: UInt16(count)), replies: [(id, count)])[0]
    }

    public func write(_ id: UInt8, address: UInt16, data: [UInt8]) throws {
        let packet = DynamixelPacket.write(id, address: address, data: data)
        if id == DynamixelPacket.broadcastID { return try send(packet) }
        _ = try transact(packet, replies: [(id, 0)])
    }

    public func registerWrite(_ id: UInt8, address: UInt16, data: [UInt8]) throws {
        let packet = DynamixelPacket.regWrite(id, address: address, data: data)
        if id == DynamixelPacket.broadcastID { return try send(packet) }
        _ = try transact(packet, replies: [(id, 0)])
    }

    public func action() throws { try send(DynamixelPacket.action()) }

    public func syncRead(_ ids: [UInt8], address: UInt16, count: Int) throws -> [[UInt8]] {
        try transact(DynamixelPacket.syncRead(ids, address: address, count: UInt16(count)),
                     replies: ids.map { ($0, count) })
    }

    public func syncWrite(address: UInt16, count: Int, _ values: [(id: UInt8, data: [UInt8])]) throws {
        try send(DynamixelPacket.syncWrite(address: address, count: UInt16(count), values))
    }

    /// Reads a different register from each servo in one request.
    /// - Returns: The bytes read, in the order of `requests`.
    public func bulkRead(_ requests: [(id: UInt8, address: UInt16, count: Int)]) throws -> [[UInt8]] {
        try transact(DynamixelPacket.bulkRead(requests.map { ($0.id, $0.address, UInt16($0.count)) }),
                     replies: requests.map { ($0.id, $0.count) })
    }

    // MARK: Transactions

    private func send(_ packet: [UInt8]) throws {
        do { try link.write(packet) } catch let e as SerialPortError { throw ServoBusError.port(e) }
    }

    private func transact(_ packet: [UInt8], replies: [(id: UInt8, count: Int)]) throws -> [[UInt8]] {
        let reader = StatusReader<DynamixelPacket.Frame>(link: link, buffer: buffer, parse: DynamixelPacket.parse,
                                                          idOf: { $0.error == nil ? 0xFF : $0.id })  // skip echoed instructions
        var lastError = ServoBusError.noResponse(servo: replies.first?.id ?? DynamixelPacket.broadcastID)
        for _ in 0...max(policy.retries, 0) {
            do { try link.discardInput() } catch let e as SerialPortError { throw ServoBusError.port(e) }
            buffer.clear()
            try send(packet)
            var results: [[UInt8]] = []
            var failed = false
            for r in replies {
                let replyBytes = (r.count + 11) * (results.isEmpty ? replies.count : 1)
                let deadline = Timestamp(seconds: Timestamp.now().seconds + policy.timeout
                                         + link.wireTime(bytes: packet.count + replyBytes))
                switch try reader.next(from: r.id, deadline: deadline) {
                case .status(let s):
                    if let e = s.error, e != 0 {
                        throw ServoBusError.statusError(servo: r.id, bits: e, meaning: DynamixelPacket.describe(errorByte: e))
                    }
                    guard s.params.count == r.count else {
                        lastError = .malformedReply(servo: r.id, reason: "\(s.params.count) data bytes, expected \(r.count)")
                        failed = true
                        break
                    }
                    results.append(s.params)
                case .timeout(let bad):
                    lastError = bad.map { .checksumMismatch(servo: r.id, expected: $0.expected, received: $0.received) }
                        ?? .noResponse(servo: r.id)
                    failed = true
                }
                if failed { break }
            }
            if !failed { return results }
        }
        throw lastError
    }
}
