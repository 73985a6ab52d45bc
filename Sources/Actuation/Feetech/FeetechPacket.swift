/// Feetech SCS/STS instruction and status packets.
///
/// The protocol (Feetech "communication protocol manual"; the same frame as Dynamixel
/// protocol 1.0):
///
///     instruction:  FF FF  ID  LEN  INSTR  P1 … Pn  CHK      LEN = n + 2
///     status:       FF FF  ID  LEN  ERROR  P1 … Pn  CHK
///     CHK = ~(ID + LEN + INSTR/ERROR + P1 + … + Pn) & 0xFF
///
/// Id 0xFE is broadcast (no status reply, except to sync read where each servo answers
/// in turn). Addresses are one byte; multi-byte values are little-endian on STS/SMS and
/// big-endian on SCS.
public enum FeetechPacket {
    /// The broadcast id.
    public static let broadcastID: UInt8 = 0xFE

    /// Instruction codes.
    public enum Instruction: UInt8, Sendable {
        case ping = 0x01
        case read = 0x02
        case write = 0x03
        case regWrite = 0x04
        case action = 0x05
        case reset = 0x06
        case syncRead = 0x82
        case syncWrite = 0x83
    }

    /// Status error bits (Feetech SCServo SDK: ERRBIT_VOLTAGE, _ANGLE, _OVERHEAT, _OVERELE, _OVERLOAD).
    public static let errorBitNames: [(UInt8, String)] = [
        (0x01, "input voltage out of range"),
        (0x02, "angle sensor error"),
        (0x04, "overheating"),
        (0x08, "overcurrent"),
        (0x20, "overload"),
    ]

    /// Names of the bits set in a status error byte.
    public static func describe(errorBits: UInt8) -> [String] {
        var names = errorBitNames.filter { errorBits & $0.0 != 0 }.map(\.1)
        let known = errorBitNames.reduce(UInt8(0)) { $0 | $1.0 }
        if errorBits & ~known != 0 { names.append("unknown bits 0x\(String(errorBits & ~known, radix: 16))") }
        return names
    }

    /// `~sum & 0xFF` over `bytes`.
    public static func checksum<C: Sequence>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        ~bytes.reduce(UInt8(0)) { $0 &+ $1 }
    }

    /// A complete instruction packet.
    public static func instruction(_ id: UInt8, _ instruction: Instruction, _ params: [UInt8] = []) -> [UInt8] {
        precondition(params.count <= 253, "Feetech packet: \(params.count) parameter bytes is too many")
        let body = [id, UInt8(params.count + 2), instruction.rawValue] + params
        return [0xFF, 0xFF] + body + [checksum(body)]
    }

    /// A complete status packet (what a servo sends back).
    public static func status(_ id: UInt8, error: UInt8, _ params: [UInt8] = []) -> [UInt8] {
        let body = [id, UInt8(params.count + 2), error] + params
        return [0xFF, 0xFF] + body + [checksum(body)]
    }

    /// `PING` to `id`.
    public static func ping(_ id: UInt8) -> [UInt8] { instruction(id, .ping) }

    /// `READ` of `count` bytes at `address`.
    public static func read(_ id: UInt8, address: UInt8, count: UInt8) -> [UInt8] {
        instruction(id, .read, [address, count])
    }

    /// `WRITE` of `data` at `address`.
    public static func write(_ id: UInt8, address: UInt8, data: [UInt8]) -> [UInt8] {
        instruction(id, .write, [address] + data)
    }

    /// `REG WRITE`: stored until `ACTION`.
    public static func regWrite(_ id: UInt8, address: UInt8, data: [UInt8]) -> [UInt8] {
        instruction(id, .regWrite, [address] + data)
    }

    /// `ACTION` (broadcast by default).
    public static func action(_ id: UInt8 = broadcastID) -> [UInt8] { instruction(id, .action) }

    /// `SYNC READ` of `count` bytes at `address` from each of `ids`.
    public static func syncRead(_ ids: [UInt8], address: UInt8, count: UInt8) -> [UInt8] {
        instruction(broadcastID, .syncRead, [address, count] + ids)
    }

    /// `SYNC WRITE` of one `count`-byte value per servo at `address`.
    public static func syncWrite(address: UInt8, count: UInt8, _ values: [(id: UInt8, data: [UInt8])]) -> [UInt8] {
        var params = [address, count]
        for v in values {
            precondition(v.data.count == Int(count), "Feetech sync write: servo \(v.id) has \(v.data.count) bytes, not \(count)")
            params.append(v.id)
            params += v.data
        }
        return instruction(broadcastID, .syncWrite, params)
    }

    /// A parsed packet of either direction: for a status packet `code` is the error byte,
    /// for an instruction packet it is the instruction.
    public struct Frame: Equatable, Sendable {
        public var id: UInt8
        public var code: UInt8
        public var params: [UInt8]
    }

    /// Parses the packet at the front of `bytes`.
    static func parse(_ b: [UInt8]) -> ParseResult<Frame> {
        guard b.count >= 1 else { return .needMore }
        guard b[0] == 0xFF else { return .garbage }
        guard b.count >= 2 else { return .needMore }
        guard b[1] == 0xFF else { return .garbage }
        guard b.count >= 3 else { return .needMore }
        // FF FF FF …: the first FF is noise; the header starts one byte later.
        guard b[2] != 0xFF else { return .garbage }
        guard b.count >= 4 else { return .needMore }
        let len = Int(b[3])
        guard len >= 2 else { return .garbage }
        let total = len + 4
        guard b.count >= total else { return .needMore }
        let expected = checksum(b[2..<(total - 1)])
        guard expected == b[total - 1] else {
            return .badChecksum(id: b[2], expected: UInt16(expected), received: UInt16(b[total - 1]), length: total)
        }
        return .packet(Frame(id: b[2], code: b[4], params: Array(b[5..<(total - 1)])), length: total)
    }

    /// Parses one complete packet, or returns `nil` if `bytes` is not exactly one valid packet.
    public static func parseFrame(_ bytes: [UInt8]) -> Frame? {
        if case .packet(let f, let n) = parse(bytes), n == bytes.count { return f }
        return nil
    }
}
