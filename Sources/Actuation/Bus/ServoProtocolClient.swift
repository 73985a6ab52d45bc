import RobotCore

/// Register-level access to servos on one bus, whatever the wire protocol.
///
/// `FeetechProtocol` and `DynamixelProtocol` implement it; `MotorBus` builds on it.
/// Every method either completes or throws a `ServoBusError` naming the servo.
public protocol ServoProtocolClient: AnyObject {
    /// The wire protocol.
    var family: ServoProtocolFamily { get }
    /// Timeout and retries per transaction.
    var policy: TransactionPolicy { get set }
    /// The byte link underneath.
    var link: ByteLink { get }

    /// Checks that servo `id` answers.
    /// - Returns: The model number when the protocol's ping reports it (Dynamixel), else `nil`.
    func ping(_ id: UInt8) throws -> Int?
    /// Reads `count` bytes from `address` of servo `id`.
    func read(_ id: UInt8, address: UInt16, count: Int) throws -> [UInt8]
    /// Writes `data` at `address` of servo `id` and waits for its acknowledgement.
    func write(_ id: UInt8, address: UInt16, data: [UInt8]) throws
    /// Stores a write in servo `id` to be carried out on `action()`.
    func registerWrite(_ id: UInt8, address: UInt16, data: [UInt8]) throws
    /// Carries out all registered writes at once (broadcast; no reply).
    func action() throws
    /// Reads the same `count` bytes from every servo in `ids` in one request.
    /// - Returns: One byte array per id, in the order of `ids`.
    func syncRead(_ ids: [UInt8], address: UInt16, count: Int) throws -> [[UInt8]]
    /// Writes one `count`-byte value per servo at `address` in one broadcast (no reply).
    func syncWrite(address: UInt16, count: Int, _ values: [(id: UInt8, data: [UInt8])]) throws
}

extension ServoProtocolClient {
    /// Ids in `range` that answer a ping, each tried once with a short timeout.
    public func scan(_ range: ClosedRange<UInt8> = 0...253, timeout: Double = 0.01) -> [UInt8] {
        let saved = policy
        policy = TransactionPolicy(timeout: timeout, retries: 0)
        defer { policy = saved }
        return range.filter { id in
            do {
                _ = try ping(id)
                return true
            } catch {
                return false
            }
        }
    }
}

/// The sender's half of a request/response exchange, shared by both protocols:
/// resynchronising on garbage, per-transaction deadlines, and salvage of a packet
/// hidden behind a false header.
struct StatusReader<Status> {
    let link: ByteLink
    let buffer: ReceiveBuffer
    let parse: ([UInt8]) -> ParseResult<Status>
    let idOf: (Status) -> UInt8

    enum Outcome {
        case status(Status)
        case timeout(sawBadChecksum: (expected: UInt16, received: UInt16)?)
    }

    /// Reads the next valid status from `id`, skipping garbage and other ids' packets.
    func next(from id: UInt8, deadline: Timestamp) throws -> Outcome {
        var badChecksum: (UInt16, UInt16)?
        while true {
            switch parse(buffer.bytes) {
            case .packet(let s, let length):
                buffer.drop(length)
                if idOf(s) == id { return .status(s) }
            case .badChecksum(let pid, let expected, let received, _):
                if pid == id { badChecksum = (expected, received) }
                buffer.drop(1)
            case .garbage:
                buffer.drop(1)
            case .needMore:
                let got: Bool
                do {
                    got = try buffer.fill(from: link, deadline: deadline)
                } catch let e as SerialPortError {
                    throw ServoBusError.port(e)
                }
                if !got {
                    // A false header may claim a length that swallows the real reply:
                    // look for a complete packet further on before giving up.
                    while !buffer.bytes.isEmpty {
                        buffer.drop(1)
                        if case .packet(let s, let length) = parse(buffer.bytes) {
                            buffer.drop(length)
                            if idOf(s) == id { return .status(s) }
                        }
                    }
                    return .timeout(sawBadChecksum: badChecksum.map { (expected: $0.0, received: $0.1) })
                }
            }
        }
    }
}
