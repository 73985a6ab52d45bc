import Testing
@testable import Actuation

/// Byte-exact Dynamixel Protocol 2.0 packets, checked against the example packets of
/// the ROBOTIS e-manual ("Protocol 2.0", sections Ping, Read, Write, Sync Read, Sync Write).
@Suite struct DynamixelPacketTests {
    @Test func pingMatchesEManual() {
        #expect(DynamixelPacket.ping(1) == [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x03, 0x00, 0x01, 0x19, 0x4E])
        // Status: model 1030 (0x0406), firmware 38 (0x26).
        #expect(DynamixelPacket.status(1, error: 0, [0x06, 0x04, 0x26])
                == [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x07, 0x00, 0x55, 0x00, 0x06, 0x04, 0x26, 0x65, 0x5D])
    }

    @Test func readMatchesEManual() {
        // Read Present_Position (132, 4 bytes) of id 1.
        #expect(DynamixelPacket.read(1, address: 132, count: 4)
                == [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x07, 0x00, 0x02, 0x84, 0x00, 0x04, 0x00, 0x1D, 0x15])
    }

    @Test func writeMatchesEManual() {
        // Write 512 to Goal_Position (116) of id 1.
        #expect(DynamixelPacket.write(1, address: 116, data: [0x00, 0x02, 0x00, 0x00])
                == [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x09, 0x00, 0x03, 0x74, 0x00, 0x00, 0x02, 0x00, 0x00, 0xCA, 0x89])
    }

    @Test func syncReadMatchesEManual() {
        #expect(DynamixelPacket.syncRead([1, 2], address: 132, count: 4)
                == [0xFF, 0xFF, 0xFD, 0x00, 0xFE, 0x09, 0x00, 0x82, 0x84, 0x00, 0x04, 0x00, 0x01, 0x02, 0xCE, 0xFA])
    }

    @Test func syncWriteMatchesEManual() {
        // id 1 → 150, id 2 → 170 at Goal_Position.
        let p = DynamixelPacket.syncWrite(address: 116, count: 4, [(1, [0x96, 0, 0, 0]), (2, [0xAA, 0, 0, 0])])
        #expect(p == [0xFF, 0xFF, 0xFD, 0x00, 0xFE, 0x11, 0x00, 0x83, 0x74, 0x00, 0x04, 0x00,
                      0x01, 0x96, 0x00, 0x00, 0x00, 0x02, 0xAA, 0x00, 0x00, 0x00, 0x82, 0x87])
    }

    @Test func crcTableMatchesPolynomial() {
        // The ROBOTIS SDK's table begins 0x0000, 0x8005, 0x800F, 0x000A, 0x801B, 0x001E.
        #expect(Array(DynamixelPacket.crcTable.prefix(6)) == [0x0000, 0x8005, 0x800F, 0x000A, 0x801B, 0x001E])
        #expect(DynamixelPacket.crcTable[255] == 0x0202)
        // CRC-16/BUYPASS (poly 0x8005, init 0) check value for "123456789" is 0xFEE8.
        #expect(DynamixelPacket.crc(Array("123456789".utf8)) == 0xFEE8)
    }

    @Test func byteStuffing() {
        #expect(DynamixelPacket.stuff([0x03, 0xFF, 0xFF, 0xFD, 0x01]) == [0x03, 0xFF, 0xFF, 0xFD, 0xFD, 0x01])
        #expect(DynamixelPacket.unstuff([0x03, 0xFF, 0xFF, 0xFD, 0xFD, 0x01]) == [0x03, 0xFF, 0xFF, 0xFD, 0x01])
        // A write whose data contains the header: LEN counts the stuffing byte; parse removes it.
        let p = DynamixelPacket.write(1, address: 0x10, data: [0xFF, 0xFF, 0xFD, 0x00])
        #expect(p[5] == 10)   // 1 inst + 2 addr + 4 data + 1 stuffing + 2 CRC
        let f = DynamixelPacket.parseFrame(p)
        #expect(f?.params == [0x10, 0x00, 0xFF, 0xFF, 0xFD, 0x00])
    }

    @Test func statusErrors() {
        #expect(DynamixelPacket.describe(errorByte: 0x04) == ["data range error"])
        #expect(DynamixelPacket.describe(errorByte: 0x80) == ["hardware alert (see Hardware_Error_Status)"])
        var bad = DynamixelPacket.status(3, error: 0, [1, 2])
        bad[bad.count - 2] ^= 0xFF
        #expect(DynamixelPacket.parseFrame(bad) == nil)
    }
}
