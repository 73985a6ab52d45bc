/// Why a servo transaction failed, naming the servo.
public enum ServoBusError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The servo did not answer within the transaction timeout, after all retries.
    case noResponse(servo: UInt8)
    /// A reply arrived but its checksum (Feetech) or CRC (Dynamixel) was wrong.
    case checksumMismatch(servo: UInt8, expected: UInt16, received: UInt16)
    /// The servo answered with error bits set; `meaning` spells them out.
    case statusError(servo: UInt8, bits: UInt8, meaning: [String])
    /// A reply that parses but cannot be the answer (wrong length, wrong instruction).
    case malformedReply(servo: UInt8, reason: String)
    /// The servo at `servo` reports a model this driver does not know, or not the expected one.
    case unexpectedModel(servo: UInt8, modelNumber: Int, expected: ServoModel?)
    /// The model has no such register.
    case registerUnavailable(ServoRegister, model: ServoModel)
    /// A value cannot be encoded in the register.
    case valueOutOfRange(ServoRegister, value: Int, servo: UInt8)
    /// The serial port failed underneath.
    case port(SerialPortError)

    /// The servo the error is about, when there is one.
    public var servo: UInt8? {
        switch self {
        case .noResponse(let s), .checksumMismatch(let s, _, _), .statusError(let s, _, _),
             .malformedReply(let s, _), .unexpectedModel(let s, _, _), .valueOutOfRange(_, _, let s):
            return s
        case .registerUnavailable, .port: return nil
        }
    }

    public var description: String {
        switch self {
        case .noResponse(let s):
            return "servo \(s): no response — check its id, power, cabling and the baud rate"
        case .checksumMismatch(let s, let e, let r):
            return "servo \(s): reply checksum mismatch (computed \(hex(e)), received \(hex(r))) — noisy line or wrong baud rate"
        case .statusError(let s, let bits, let meaning):
            return "servo \(s): status error \(hex(UInt16(bits))): \(meaning.joined(separator: ", "))"
        case .malformedReply(let s, let reason):
            return "servo \(s): malformed reply: \(reason)"
        case .unexpectedModel(let s, let n, let expected):
            let exp = expected.map { ", expected \($0.rawValue) (\($0.modelNumber))" } ?? ""
            return "servo \(s): model number \(n)\(exp)"
        case .registerUnavailable(let r, let m):
            return "\(m.rawValue) has no register \(r.rawValue)"
        case .valueOutOfRange(let r, let v, let s):
            return "servo \(s): value \(v) does not fit register \(r.rawValue)"
        case .port(let e):
            return e.description
        }
    }
}

func hex(_ v: UInt16) -> String { "0x" + String(v, radix: 16, uppercase: true) }
