import Foundation

/// The append-only log that holds an episode's steps (`steps.log`) and frames
/// (`frames.bin`): a 16-byte file header, then records, each with a length prefix and
/// two CRC-32s, so a reader can tell a whole record from one cut off by a crash.
///
/// ```
/// file header (16 bytes)
///   0  8  magic: "VLASTEPS" (steps.log) or "VLAFRAME" (frames.bin)
///   8  4  format version, UInt32 little-endian (1)
///  12  4  reserved, 0
/// record (16 + n bytes), repeated to the end of the file
///   0  4  record magic "VREC"
///   4  4  n, the payload length, UInt32 little-endian
///   8  4  CRC-32 of the payload
///  12  4  CRC-32 of bytes 0..<12 of this record (guards the length)
///  16  n  payload
/// ```
///
/// See FORMAT.md for the payloads and for how a reader tells a torn tail from corruption.
enum RecordLog {
    /// The file header's length.
    static let fileHeaderSize = 16
    /// A record header's length.
    static let recordHeaderSize = 16
    /// "VREC".
    static let recordMagic: [UInt8] = Array("VREC".utf8)
    /// The largest payload a reader accepts (a 4K raw RGB frame is 24 MiB).
    static let maxPayload = 256 << 20
    /// The version written in the file header.
    static let version: UInt32 = 1

    /// The two kinds of log.
    enum Kind {
        case steps, frames
        var magic: [UInt8] { Array((self == .steps ? "VLASTEPS" : "VLAFRAME").utf8) }
    }

    /// The file header of a log of `kind`.
    static func fileHeader(_ kind: Kind) -> [UInt8] {
        var bytes = kind.magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }

    /// A complete record for `payload`: header then payload, ready for one `write`.
    static func record(_ payload: [UInt8]) -> [UInt8] {
        var bytes = recordMagic
        bytes.reserveCapacity(recordHeaderSize + payload.count)
        bytes.appendLittleEndian(UInt32(payload.count))
        bytes.appendLittleEndian(CRC32.checksum(payload))
        bytes.appendLittleEndian(bytes.withUnsafeBytes { CRC32.checksum($0) })
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// A record header parsed and checked on its own (without the payload).
    struct Header {
        var length: Int
        var payloadCRC: UInt32
    }

    /// The header at `offset` in `bytes` if its magic and CRC are right and it fits.
    static func header(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Header? {
        guard offset >= 0, offset + recordHeaderSize <= bytes.count else { return nil }
        guard bytes[offset] == recordMagic[0], bytes[offset + 1] == recordMagic[1],
              bytes[offset + 2] == recordMagic[2], bytes[offset + 3] == recordMagic[3] else { return nil }
        let length = Int(bytes.loadLittleEndianUInt32(at: offset + 4))
        let payloadCRC = bytes.loadLittleEndianUInt32(at: offset + 8)
        let headerCRC = bytes.loadLittleEndianUInt32(at: offset + 12)
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 12])) == headerCRC,
              length <= maxPayload else { return nil }
        return Header(length: length, payloadCRC: payloadCRC)
    }

    /// Why the record at an offset is not whole, for messages.
    static func problem(in bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        let left = bytes.count - offset
        if left < recordHeaderSize { return "only \(left) of the \(recordHeaderSize) header bytes" }
        guard let header = header(in: bytes, at: offset) else { return "bad record header (magic or header CRC)" }
        if offset + recordHeaderSize + header.length > bytes.count {
            return "payload of \(header.length) bytes but only \(left - recordHeaderSize) present"
        }
        return "payload CRC mismatch"
    }

    /// The payload range of the whole, checked record at `offset`, or nil.
    static func record(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Range<Int>? {
        guard let header = header(in: bytes, at: offset) else { return nil }
        let start = offset + recordHeaderSize
        guard start + header.length <= bytes.count else { return nil }
        let payload = start..<start + header.length
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[payload])) == header.payloadCRC else { return nil }
        return payload
    }

    /// The result of reading a log from its first byte to its last.
    struct Scan {
        /// The payload range of every whole record, in order.
        var payloads: [Range<Int>] = []
        /// The offset of each record's header.
        var offsets: [Int] = []
        /// Where the torn tail starts, if the file ends in a partial or damaged record
        /// that no whole record follows.
        var tornOffset: Int? = nil
        /// Why the tail is torn.
        var tornReason: String? = nil
    }

    /// Reads every record of a log, dropping a torn tail and rejecting corruption in
    /// the middle.
    ///
    /// A record that is not whole is a *torn tail* when no whole record follows it
    /// anywhere in the file (this is all a crash, or a power cut with the file system's
    /// zero-filled blocks, can leave), and *corruption* otherwise.
    /// - Throws: ``EpisodeError/badHeader(file:reason:)`` for a wrong file header,
    ///   ``EpisodeError/corruptRecord(file:step:offset:reason:)`` for damage with whole
    ///   records after it.
    static func scan(_ bytes: UnsafeRawBufferPointer, kind: Kind, file: String) throws -> Scan {
        var scan = Scan()
        let expected = fileHeader(kind)
        let headerBytes = min(bytes.count, fileHeaderSize)
        for i in 0..<headerBytes where i < 12 && bytes[i] != expected[i] {
            if i >= 8 {
                let version = headerBytes >= 12 ? bytes.loadLittleEndianUInt32(at: 8) : 0
                throw EpisodeError.badHeader(file: file, reason: "log format version \(version), this reader knows \(RecordLog.version)")
            }
            throw EpisodeError.badHeader(file: file, reason: "not a \(String(decoding: kind.magic, as: UTF8.self)) file")
        }
        if bytes.count < fileHeaderSize {
            // The recorder died while creating the file: an empty log.
            if bytes.count > 0 { scan.tornOffset = 0; scan.tornReason = "file header cut off" }
            return scan
        }
        var offset = fileHeaderSize
        while offset < bytes.count {
            if let payload = record(in: bytes, at: offset) {
                scan.offsets.append(offset)
                scan.payloads.append(payload)
                offset = payload.upperBound
                continue
            }
            let reason = problem(in: bytes, at: offset)
            if nextRecord(in: bytes, after: offset) != nil {
                throw EpisodeError.corruptRecord(file: file, step: scan.payloads.count, offset: offset, reason: reason)
            }
            scan.tornOffset = offset
            scan.tornReason = reason
            break
        }
        return scan
    }

    /// The offset of the first whole record that starts after `offset`, if any.
    static func nextRecord(in bytes: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var i = offset + 1
        while i + recordHeaderSize <= bytes.count {
            if bytes[i] == recordMagic[0], record(in: bytes, at: i) != nil { return i }
            i += 1
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendLittleEndian(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func loadLittleEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
