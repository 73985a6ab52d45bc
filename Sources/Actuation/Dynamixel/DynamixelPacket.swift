/// ROBOTIS Dynamixel Protocol 2.0 instruction and status packets.
///
/// From the ROBOTIS e-manual, "Protocol 2.0":
///
///     instruction:  FF FF FD 00  ID  LEN_L LEN_H  INST        P1 … Pn  CRC_L CRC_H
///     status:       FF FF FD 00  ID  LEN_L LEN_H  0x55  ERR   P1 … Pn  CRC_L CRC_H
///     LEN = bytes after LEN up to and including the CRC (after byte stuffing)
///
/// Byte stuffing: wherever `FF FF FD` appears from INST onwards, an extra `FD` follows,
/// so the header can never appear inside a packet. The CRC is CRC-16 (polynomial 0x8005,
/// initial value 0, not reflected) over every byte before it, stuffing included.
public enum DynamixelPacket {
    /// The broadcast id.
    public static let broadcastID: UInt8 = 0xFE
    /// The packet header.
    public static let header: [UInt8] = [0xFF, 0xFF, 0xFD, 0x00]

    /// Instruction codes.
    public enum Instruction: UInt8, Sendable {
        case ping = 0x01
        case read = 0x02
        case write = 0x03
        case regWrite = 0x04
        case action = 0x05
        case factoryReset = 0x06
        case reboot = 0x08
        case status = 0x55
        case syncRead = 0x82
        case syncWrite = 0x83
        case bulkRead = 0x92
        case bulkWrite = 0x93
    }

    /// The error codes in bits 0–6 of a status packet's ERR byte; bit 7 is the
    /// hardware alert (details in `Hardware_Error_Status`).
    public static func describe(errorByte: UInt8) -> [String] {
        var names: [String] = []
        switch errorByte & 0x7F {
        case 0: break
        case 1: names.append("result fail")
        case 2: names.append("instruction error")
        case 3: names.append("CRC error")
        case 4: names.append("data range error")
        case 5: names.append("data length error")
        case 6: names.append("data limit error")
        case 7: names.append("access error")
        case let other: names.append("error code \(other)")
        }
        if errorByte & 0x80 != 0 { names.append("hardware alert (see Hardware_Error_Status)") }
        return names
    }

    /// The CRC-16 lookup table for polynomial 0x8005, computed once.
    static let crcTable: [UInt16] = (0..<256).map { i in
        var crc = UInt16(i) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x8005 : crc << 1 }
        return crc
    }

    /// CRC-16 (poly 0x8005, init 0, MSB first) of `bytes`, as in the ROBOTIS SDK's `updateCRC`.
    public static func crc<C: Sequence>(_ bytes: C, initial: UInt16 = 0) -> UInt16 where C.Element == UInt8 {
        var crc = initial
        for b in bytes {
            let i = Int(UInt8(truncatingIfNeeded: crc >> 8) ^ b)
            crc = (crc << 8) ^ crcTable[i]
        }
        return crc
    }

    /// Inserts `FD` after every `FF FF FD`.
    public static func stuff(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 4)
        for b in bytes {
            out.append(b)
            let n = out.count
            if n >= 3 && out[n - 3] == 0xFF && out[n - 2] == 0xFF && out[n - 1] == 0xFD {
                out.append(0xFD)
            }
        }
        return out
    }

    /// Removes the `FD` after every `FF FF FD`.
    public static func unstuff(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            out.append(bytes[i])
            let n = out.count
            if n >= 3 && out[n - 3] == 0xFF && out[n - 2] == 0xFF && out[n - 1] == 0xFD,
               i + 1 < bytes.count, bytes[i + 1] == 0xFD {
                i += 1   // skip the stuffing byte
            }
            i += 1
        }
        return out
    }

    private static func frame(_ id: UInt8, _ body: [UInt8]) -> [UInt8] {
        let stuffed = stuff(body)
        let len = stuffed.count + 2
        precondition(len <= 0xFFFF, "Dynamixel packet too long")
        var p = header + [id, UInt8(len & 0xFF), UInt8(len >> 8)] + stuffed
        let c = crc(p)
        p += [UInt8(c & 0xFF), UInt8(c >> 8)]
        return p
    }

    /// A complete instruction packet.
    public static func instruction(_ id: UInt8, _ instruction: Instruction, _ params: [UInt8] = []) -> [UInt8] {
        frame(id, [instruction.rawValue] + params)
    }

    /// A complete status packet (what a servo sends back).
    public static func status(_ id: UInt8, error: UInt8, _ params: [UInt8] = []) -> [UInt8] {
        frame(id, [Instruction.status.rawValue, error] + params)
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }

    /// `PING` (the reply carries model number and firmware version).
    public static func ping(_ id: UInt8) -> [UInt8] { instruction(id, .ping) }

    /// `READ` of `count` bytes at `address`.
    public static func read(_ id: UInt8, address: UInt16, count: UInt16) -> [UInt8] {
        instruction(id, .read, le16(Int(address)) + le16(Int(count)))
    }

    /// `WRITE` of `data` at `address`.
    public static func write(_ id: UInt8, address: UInt16, data: [UInt8]) -> [UInt8] {
        instruction(id, .write, le16(Int(address)) + data)
    }

    /// `REG WRITE`: stored until `ACTION`.
    public static func regWrite(_ id: UInt8, address: UInt16, data: [UInt8]) -> [UInt8] {
        instruction(id, .regWrite, le16(Int(address)) + data)
    }

    /// `ACTION` (broadcast by default).
    public static func action(_ id: UInt8 = broadcastID) -> [UInt8] { instruction(id, .action) }

    /// `SYNC READ` of `count` bytes at `address` from each of `ids`.
    public static func syncRead(_ ids: [UInt8], address: UInt16, count: UInt16) -> [UInt8] {
        instruction(broadcastID, .syncRead, le16(Int(address)) + le16(Int(count)) + ids)
    }

    /// `SYNC WRITE` of one `count`-byte value per servo at `address`.
    public static func syncWrite(address: UInt16, count: UInt16, _ values: [(id: UInt8, data: [UInt8])]) -> [UInt8] {
        var params = le16(Int(address)) + le16(Int(count))
        for v in values {
            precondition(v.data.count == Int(count), "Dynamixel sync write: servo \(v.id) has \(v.data.count) bytes, not \(count)")
            params.append(v.id)
            params += v.data
        }
        return instruction(broadcastID, .syncWrite, params)
    }

    /// `BULK READ`: a different address and length per servo.
    public static func bulkRead(_ requests: [(id: UInt8, address: UInt16, count: UInt16)]) -> [UInt8] {
        var params: [UInt8] = []
        for r in requests { params += [r.id] + le16(Int(r.address)) + le16(Int(r.count)) }
        return instruction(broadcastID, .bulkRead, params)
    }

    /// A parsed packet: for a status packet, `instruction` is 0x55 and `error` the ERR
    /// byte; for an instruction packet `error` is `nil`. Params are unstuffed.
    public struct Frame: Equatable, Sendable {
        public var id: UInt8
        public var instruction: UInt8
        public var error: UInt8?
        public var params: [UInt8]
    }

    /// Parses the packet at the front of `bytes`.
    static func parse(_ b: [UInt8]) -> ParseResult<Frame> {
        for (i, h) in header.enumerated() {
            guard b.count > i else { return .needMore }
            guard b[i] == h else { return .garbage }
        }
        guard b.count >= 7 else { return .needMore }
        guard b[4] != 0xFF && b[4] != 0xFD else { return .garbage }   // invalid ids
        let len = Int(b[5]) | Int(b[6]) << 8
        guard len >= 3 && len <= 1024 else { return .garbage }
        let total = 7 + len
        guard b.count >= total else { return .needMore }
        let expected = crc(b[0..<(total - 2)])
        let received = UInt16(b[total - 2]) | UInt16(b[total - 1]) << 8
        guard expected == received else {
            return .badChecksum(id: b[4], expected: expected, received: received, length: total)
        }
        let body = unstuff(Array(b[7..<(total - 2)]))
        let inst = body[0]
        if inst == Instruction.status.rawValue {
            guard body.count >= 2 else { return .garbage }
            return .packet(Frame(id: b[4], instruction: inst, error: body[1], params: Array(body[2...])), length: total)
        }
        return .packet(Frame(id: b[4], instruction: inst, error: nil, params: Array(body[1...])), length: total)
    }

    /// Parses one complete packet, or returns `nil` if `bytes` is not exactly one valid packet.
    public static func parseFrame(_ bytes: [UInt8]) -> Frame? {
        if case .packet(let f, let n) = parse(bytes), n == bytes.count { return f }
        return nil
    }
}
