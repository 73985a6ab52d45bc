import Testing
@testable import Actuation

/// Byte-exact Feetech SCS/STS packets, checked against the examples in Feetech's
/// protocol manual and hand-computed checksums (~(id + len + instr + params) & 0xFF).
@Suite struct FeetechPacketTests {
    @Test func pingMatchesManual() {
        // Manual: "FF FF 01 02 01 FB" pings id 1; the servo answers "FF FF 01 02 00 FC".
        #expect(FeetechPacket.ping(1) == [0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB])
        #expect(FeetechPacket.status(1, error: 0) == [0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC])
    }

    @Test func readPresentPosition() {
        // Read 2 bytes at 0x38 (Present_Position) of id 1: 1+4+2+0x38+2 = 0x41, ~0x41 = 0xBE.
        #expect(FeetechPacket.read(1, address: 0x38, count: 2) == [0xFF, 0xFF, 0x01, 0x04, 0x02, 0x38, 0x02, 0xBE])
    }

    @Test func writeGoalPosition() {
        // Write 2048 (00 08 little-endian) at 0x2A of id 1: 1+5+3+0x2A+0+8 = 0x3B → 0xC4.
        #expect(FeetechPacket.write(1, address: 0x2A, data: [0x00, 0x08])
                == [0xFF, 0xFF, 0x01, 0x05, 0x03, 0x2A, 0x00, 0x08, 0xC4])
    }

    @Test func regWriteAndAction() {
        #expect(FeetechPacket.regWrite(1, address: 0x2A, data: [0x00, 0x08])
                == [0xFF, 0xFF, 0x01, 0x05, 0x04, 0x2A, 0x00, 0x08, 0xC3])
        // ACTION to broadcast: FE + 02 + 05 = 0x105 → low byte 0x05, ~ = 0xFA.
        #expect(FeetechPacket.action() == [0xFF, 0xFF, 0xFE, 0x02, 0x05, 0xFA])
    }

    @Test func syncReadAndWrite() {
        // Sync read Present_Position (0x38, 2 bytes) of ids 1 and 2.
        // FE + 06 + 82 + 38 + 02 + 01 + 02 = 0x1C3 → 0xC3, ~ = 0x3C.
        #expect(FeetechPacket.syncRead([1, 2], address: 0x38, count: 2)
                == [0xFF, 0xFF, 0xFE, 0x06, 0x82, 0x38, 0x02, 0x01, 0x02, 0x3C])
        // Sync write Goal_Position: id 1 → 0x0800, id 2 → 0x0400.
        // FE + 0A + 83 + 2A + 02 + 01 00 08 + 02 00 04 = 0x1C6 → 0xC6, ~ = 0x39.
        let p = FeetechPacket.syncWrite(address: 0x2A, count: 2, [(1, [0x00, 0x08]), (2, [0x00, 0x04])])
        #expect(p == [0xFF, 0xFF, 0xFE, 0x0A, 0x83, 0x2A, 0x02, 0x01, 0x00, 0x08, 0x02, 0x00, 0x04, 0x39])
    }

    @Test func parsesStatusAndRejectsBadChecksum() {
        let ok: [UInt8] = [0xFF, 0xFF, 0x01, 0x04, 0x00, 0x00, 0x08, 0xF2]
        #expect(FeetechPacket.parseFrame(ok) == FeetechPacket.Frame(id: 1, code: 0, params: [0x00, 0x08]))
        var bad = ok
        bad[7] ^= 1
        #expect(FeetechPacket.parseFrame(bad) == nil)
    }

    @Test func errorBitsAreNamed() {
        #expect(FeetechPacket.describe(errorBits: 0x24) == ["overheating", "overload"])
        #expect(FeetechPacket.describe(errorBits: 0x01) == ["input voltage out of range"])
    }
}

/// The sign and byte-order conventions that differ between registers and series.
@Suite struct RegisterEncodingTests {
    @Test func stsPositionSignBit15() {
        let spec = ServoModel.sts3215.spec(.presentPosition)!
        #expect(spec.address == 56 && spec.size == 2)
        #expect(spec.encode(-1, byteOrder: .littleEndian) == [0x01, 0x80])
        #expect(spec.decode([0x01, 0x80], byteOrder: .littleEndian) == -1)
        #expect(spec.decode([0xFF, 0x0F], byteOrder: .littleEndian) == 4095)
        #expect(spec.range == -32767...32767)
    }

    @Test func stsHomingOffsetSignBit11() throws {
        let spec = ServoModel.sts3215.spec(.homingOffset)!
        #expect(spec.address == 31)
        #expect(spec.range == -2047...2047)
        #expect(spec.encode(-2047, byteOrder: .littleEndian) == [0xFF, 0x0F])
        #expect(spec.encode(2047, byteOrder: .littleEndian) == [0xFF, 0x07])
        #expect(spec.encode(-2048, byteOrder: .littleEndian) == nil)
        #expect(throws: ServoBusError.valueOutOfRange(.homingOffset, value: 2048, servo: 3)) {
            try ServoModel.sts3215.encode(2048, .homingOffset, servo: 3)
        }
        for v in stride(from: -2047, through: 2047, by: 7) {
            #expect(spec.decode(spec.encode(v, byteOrder: .littleEndian)!, byteOrder: .littleEndian) == v)
        }
    }

    @Test func scsIsBigEndian() throws {
        #expect(try ServoModel.scs0009.encode(0x0123, .goalPosition, servo: 1) == [0x01, 0x23])
        #expect(try ServoModel.sts3215.encode(0x0123, .goalPosition, servo: 1) == [0x23, 0x01])
        #expect(try ServoModel.scs0009.decode([0x02, 0x00], .presentPosition) == 512)
    }

    @Test func dynamixelTwosComplement() throws {
        #expect(try ServoModel.xl330m288.encode(-1, .homingOffset, servo: 1) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try ServoModel.xl430w250.decode([0x00, 0xF0, 0xFF, 0xFF], .presentPosition) == -4096)
        #expect(try ServoModel.xl330m288.encode(512, .goalPosition, servo: 1) == [0x00, 0x02, 0x00, 0x00])
    }

    @Test(arguments: ServoModel.allCases)
    func everyModelHasTheRegistersTheDriverNeeds(model: ServoModel) {
        for r in [ServoRegister.modelNumber, .id, .torqueEnable, .goalPosition, .presentPosition,
                  .minPositionLimit, .maxPositionLimit] {
            #expect(model.spec(r) != nil, "\(model) lacks \(r)")
        }
    }

    @Test func xl430HasNoCurrentRegisters() {
        #expect(ServoModel.xl430w250.spec(.goalCurrent) == nil)
        #expect(ServoModel.xl330m288.spec(.goalCurrent)?.address == 102)
        #expect(ServoModel.xl430w250.spec(.presentLoad)?.address == 126)
    }
}
